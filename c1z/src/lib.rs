//! Baton .c1z files.
