"""Base: what every layer may use and which uses nothing of ours.

Owns atomic writes and non-blocking reads of regular files (``files``) and the offline
setting (``settings``). Imports no other layer of the package.
"""
