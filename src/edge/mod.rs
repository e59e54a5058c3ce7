//! The edge: the only code that names `worker`.
