"""The content repository: git's objects, the branch, pushes, HTTP, mirroring.

No Flask imports anywhere in this package."""
