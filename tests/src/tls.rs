//! A throwaway test CA and a `localhost`/127.0.0.1 server certificate it signs, plus client configs.
//!
//! The leaf is signed by a separate CA on purpose: rustls (webpki) rejects a `CA:TRUE`
//! certificate presented as an end entity, so a self-signed leaf cannot be trusted directly.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::{ClientConfig, RootCertStore};

/// PEM files of a test CA and of a server certificate (with its key) signed by it.
#[derive(Debug, Clone)]
pub struct TestCa {
    /// The CA certificate; trust it in clients.
    pub ca_pem_path: PathBuf,
    /// The server certificate for `localhost` and `127.0.0.1`.
    pub cert_path: PathBuf,
    /// The server certificate's private key (PKCS#8).
    pub key_path: PathBuf,
}

impl TestCa {
    /// Generates a CA and a server certificate and writes `ca.pem`, `cert.pem`, `key.pem` into `dir`.
    pub fn generate(dir: &Path) -> anyhow::Result<TestCa> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name = name("Mailferry test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key)?;

        let server_key = KeyPair::generate()?;
        let mut server_params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
        server_params.distinguished_name = name("localhost");
        server_params.is_ca = IsCa::ExplicitNoCa;
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = server_params.signed_by(&server_key, &ca_cert, &ca_key)?;

        let ca = TestCa {
            ca_pem_path: dir.join("ca.pem"),
            cert_path: dir.join("cert.pem"),
            key_path: dir.join("key.pem"),
        };
        std::fs::create_dir_all(dir)?;
        write(&ca.ca_pem_path, &ca_cert.pem())?;
        write(&ca.cert_path, &server_cert.pem())?;
        write(&ca.key_path, &server_key.serialize_pem())?;
        Ok(ca)
    }
}

/// A rustls client config that trusts only the CA in `ca_pem_path`.
pub fn client_config_trusting(ca_pem_path: &Path) -> anyhow::Result<Arc<ClientConfig>> {
    let pem =
        std::fs::read(ca_pem_path).with_context(|| format!("reading {}", ca_pem_path.display()))?;
    let mut roots = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(cert?)?;
    }
    anyhow::ensure!(
        !roots.is_empty(),
        "no certificate in {}",
        ca_pem_path.display()
    );
    client_config(roots)
}

/// A rustls client config that trusts no CA at all: every server certificate is refused.
pub fn client_config_trusting_nothing() -> anyhow::Result<Arc<ClientConfig>> {
    client_config(RootCertStore::empty())
}

fn client_config(roots: RootCertStore) -> anyhow::Result<Arc<ClientConfig>> {
    // An explicit provider: the process default panics when several providers are compiled in.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

fn write(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_three_pem_files_that_rustls_accepts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = TestCa::generate(dir.path()).expect("generate");
        let cert = std::fs::read_to_string(&ca.cert_path).expect("cert");
        let key = std::fs::read_to_string(&ca.key_path).expect("key");
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(key.contains("PRIVATE KEY"));
        client_config_trusting(&ca.ca_pem_path).expect("CA loads");
    }
}
