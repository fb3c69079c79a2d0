mod append;
mod archive;
mod compliance;
mod crash;
mod demo;
mod import;
mod support;
mod threshold;
