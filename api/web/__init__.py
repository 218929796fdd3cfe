"""The web app for recruiters, HR experts and admins (issue 14): server-rendered French pages under /ui."""
