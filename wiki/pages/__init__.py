"""Pages: names, front matter, rendering, the catalogue, and the Wiki service."""
