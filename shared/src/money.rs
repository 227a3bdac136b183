//! Money (SPEC 2). Placeholder (being written).
