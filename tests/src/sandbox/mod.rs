//! Simulated providers over real HTTP (being written).
