//! End-to-end tests: the real `grantledger` binary, real HTTP, real sled
//! directories. One test binary (STYLE.md).

mod e2e;
