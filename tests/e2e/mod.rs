mod append;
mod compliance;
mod crash;
mod demo;
mod import;
mod support;
mod threshold;
