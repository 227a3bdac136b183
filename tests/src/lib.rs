//! Kassa's cross-crate test support: the edge under `wrangler dev` (`harness`) and the
//! provider sandbox (`sandbox`, simulated upstreams over real HTTP on loopback).

pub mod e2e;
pub mod edge_client;
pub mod harness;
pub mod sandbox;
