//! The customer directory (seed 000): customers, the companies they work
//! for and the services they may use. Each refers to the others (a
//! customer's company and services, a company's employees and services, a
//! service's customers), so they form one feature area.

pub mod companies;
pub mod customers;
pub mod services;
