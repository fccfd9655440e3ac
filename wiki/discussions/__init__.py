"""Discussions of pages (comments kept in git beside each page) and consultations."""
