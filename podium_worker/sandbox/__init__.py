"""Sandbox backends behind one interface: `bwrap` (bubblewrap, the default) and `docker`."""
