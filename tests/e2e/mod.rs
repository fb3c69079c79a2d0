mod append;
mod crash;
mod demo;
mod import;
mod support;
mod threshold;
