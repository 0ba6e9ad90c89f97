//! A secret string in memory (a password from the configuration or a form): it prints as `***`
//! in `Debug`, so no log line or panic message ever shows it.

use serde::{Deserialize, Serialize};

#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_hides_the_value() {
        assert_eq!(format!("{:?}", super::Secret("hunter2".into())), "***");
        assert_eq!(format!("{:?}", super::Secret::default()), "\"\"");
    }
}
