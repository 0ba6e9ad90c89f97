//! Exchange's IMAP migration CSV (`EmailAddress,UserName,Password[,UserRoot]`): parsed and
//! checked row by row, every problem named by row number and column.

pub mod parse;
#[cfg(test)]
mod proptests;

pub use parse::{CsvProblem, CsvRow, Passwords, parse_csv, parse_csv_with};
