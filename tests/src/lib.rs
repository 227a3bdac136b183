//! Test support: starting the edge under wrangler, HTTP helpers.
