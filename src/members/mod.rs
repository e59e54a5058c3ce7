//! Members: the member list, role changes, removal. The store also keeps the groups' SQL (one `MemberStore` port covers both), and the roles list and a person's name in lists are shared with the other team tabs.

pub mod api;
pub mod pages;
pub mod store;
pub mod views;
