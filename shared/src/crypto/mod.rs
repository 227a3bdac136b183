//! Cryptographic profiles (SPEC 4). Placeholder (being written).
