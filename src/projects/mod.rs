//! Projects: projects, their people and groups, diagrams, project creators, and `authorize` for the products.

pub mod api;
pub mod pages;
pub mod store;
pub mod views;
