mod append;
mod crash;
mod demo;
mod support;
mod threshold;
