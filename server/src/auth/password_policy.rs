//! What an admin password must be.

pub const MIN_LEN: usize = 12;

pub fn check(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_LEN {
        return Err(format!("must be at least {MIN_LEN} characters long"));
    }
    if password.len() > 1024 {
        return Err("must be at most 1024 bytes long".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_passwords_are_refused() {
        assert!(super::check("short").is_err());
        assert!(super::check("long enough pw").is_ok());
    }
}
