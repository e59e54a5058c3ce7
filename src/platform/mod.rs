//! What the Workers runtime gives every room: the D1 store and its helpers, WebCrypto (password hashing, randomness).

pub mod crypto;
pub mod d1;
