"""Typed records: types declared by pages in Types/, validation, collections."""
