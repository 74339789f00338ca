//! Bitbucket simulator.
