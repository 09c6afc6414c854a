//! Page tests: the stylesheet's hash and the policy, escaping, what each page shows, and how
//! much a page weighs.
mod escaping;
mod fixtures;
mod format;
mod pages;
mod style;
mod weight;
