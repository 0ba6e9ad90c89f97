//! Small pieces every page uses: number formatting, state badges, error notices.

pub mod error_notice;
pub mod format;
pub mod state_badge;
