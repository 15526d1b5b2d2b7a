-- The PostgreSQL store's tables (dashboard/data/stores/postgresql/store.py creates them;
-- this file is their reference). The incident_rows table's dataset columns follow the loaded
-- CSV file's header, all text; shown here with the curated dataset's first ones. The name
-- incidents is left to the query engines' typed table, so both fit in one database.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE IF NOT EXISTS incident_store (
    id          integer PRIMARY KEY CHECK (id = 1),   -- one row
    columns     text[] NOT NULL,                      -- the dataset's header, in order
    generation  bigint NOT NULL DEFAULT 0,            -- raised by every save and load
    loaded_at   timestamptz
);

CREATE TABLE incident_rows (
    id            text NOT NULL PRIMARY KEY,
    date          text NOT NULL DEFAULT '',
    -- ... every other column of the header, text NOT NULL DEFAULT '' ...
    row_position  bigint NOT NULL,                    -- the file's order
    row_version   integer NOT NULL DEFAULT 1,         -- raised by every save of the row
    geom          geometry(Point, 4326) GENERATED ALWAYS AS (
                      CASE WHEN lat ~ '^\s*[-+]?[0-9]+(\.[0-9]*)?\s*$'
                            AND lon ~ '^\s*[-+]?[0-9]+(\.[0-9]*)?\s*$'
                      THEN ST_SetSRID(ST_MakePoint(lon::float8, lat::float8), 4326) END
                  ) STORED
);
CREATE INDEX ON incident_rows (row_position);
CREATE INDEX ON incident_rows USING gist (geom);

CREATE TABLE IF NOT EXISTS incident_changes (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    who          text NOT NULL,
    action       text NOT NULL,            -- add, edit, delete or undo
    incident_id  text NOT NULL,
    before       jsonb,                    -- the row before (NULL for an add)
    after        jsonb,                    -- the row after (NULL for a delete)
    undoes       bigint
);

CREATE TABLE IF NOT EXISTS incident_briefings (
    name        text PRIMARY KEY,
    body        text NOT NULL,             -- the TOML text, as briefings/NAME.toml holds it
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS incident_review (
    version   text PRIMARY KEY,            -- the dataset version the answers are for
    findings  jsonb NOT NULL,              -- {"incident id": "ambiguous geocode: ..."}
    at        timestamptz NOT NULL DEFAULT now()
);
