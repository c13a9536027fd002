//! Ed25519 account keys in the formats the Sui CLI uses, and Sui address derivation.

use std::fmt;
use std::path::Path;

use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_crypto::{SignatureError, SuiSigner};
use sui_sdk_types::{Address, Ed25519PublicKey, Transaction, UserSignature};

/// What went wrong reading, writing or using a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The `suiprivkey1…` string was not a valid Ed25519 key.
    #[error("not a valid Ed25519 suiprivkey string: {0}")]
    Bech32(#[source] SignatureError),
    /// A base64 keystore entry was not a valid Ed25519 `flag || secret` key.
    #[error("keystore entry {index} is not a valid base64 Ed25519 key: {source}")]
    KeystoreEntry {
        /// Position of the entry in the keystore array.
        index: usize,
        /// What the decoder reported.
        source: SignatureError,
    },
    /// The keystore file could not be read or written.
    #[error("keystore file {path}: {source}")]
    Io {
        /// The file involved.
        path: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The keystore file is not a JSON array of strings.
    #[error("keystore file {path} is not a JSON array of base64 strings: {source}")]
    KeystoreFormat {
        /// The file involved.
        path: String,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(#[source] SignatureError),
}

/// An Ed25519 account key: signs transactions and knows its Sui address.
#[derive(Clone)]
pub struct Keypair {
    secret: Ed25519PrivateKey,
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        f.debug_struct("Keypair").field("address", &self.address()).finish()
    }
}

impl Keypair {
    /// A fresh random key from the operating system's RNG.
    pub fn generate() -> Self {
        Self { secret: Ed25519PrivateKey::generate(rand::rngs::OsRng) }
    }

    /// A key from its 32 secret bytes (deterministic keys for tests and genesis).
    pub fn from_secret_bytes(bytes: [u8; 32]) -> Self {
        Self { secret: Ed25519PrivateKey::new(bytes) }
    }

    /// Parses the Sui CLI's Bech32 form, `suiprivkey1…`.
    pub fn from_suiprivkey(encoded: &str) -> Result<Self, KeyError> {
        Ed25519PrivateKey::from_suiprivkey(encoded.trim()).map(|secret| Self { secret }).map_err(KeyError::Bech32)
    }

    /// Encodes the key as `suiprivkey1…`.
    pub fn to_suiprivkey(&self) -> Result<String, KeyError> {
        self.secret.to_suiprivkey().map_err(KeyError::Bech32)
    }

    /// Parses one `sui.keystore` entry: base64 of `flag || secret`.
    pub fn from_keystore_entry(encoded: &str) -> Result<Self, KeyError> {
        Ed25519PrivateKey::from_base64(encoded.trim())
            .map(|secret| Self { secret })
            .map_err(|source| KeyError::KeystoreEntry { index: 0, source })
    }

    /// Encodes the key as a `sui.keystore` entry.
    pub fn to_keystore_entry(&self) -> String {
        self.secret.to_base64()
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> Ed25519PublicKey {
        self.secret.public_key()
    }

    /// The Sui address: Blake2b-256 of `0x00 || public key`.
    pub fn address(&self) -> Address {
        self.public_key().derive_address()
    }

    /// Signs a transaction (its intent-prefixed signing digest), as a wallet does.
    pub fn sign_transaction(&self, transaction: &Transaction) -> Result<UserSignature, KeyError> {
        self.secret.sign_transaction(transaction).map_err(KeyError::Signing)
    }
}

/// Signing raw digests makes a `Keypair` a wallet ([`SuiSigner`], by sui-crypto's blanket
/// implementation): it can sign personal messages, such as a Seal session certificate.
impl sui_crypto::Signer<UserSignature> for Keypair {
    fn try_sign(&self, message: &[u8]) -> Result<UserSignature, sui_crypto::SignatureError> {
        self.secret.try_sign(message)
    }
}

/// The Sui CLI keystore file: a JSON array of base64 `flag || secret` entries.
#[derive(Debug, Clone, Default)]
pub struct Keystore {
    /// The keys, in file order.
    pub keys: Vec<Keypair>,
}

impl Keystore {
    /// Reads a `sui.keystore` file. Every entry must be an Ed25519 key.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| KeyError::Io { path: path.display().to_string(), source })?;
        Self::from_json(&text).map_err(|e| match e {
            KeyError::KeystoreFormat { source, .. } => {
                KeyError::KeystoreFormat { path: path.display().to_string(), source }
            }
            other => other,
        })
    }

    /// Parses the JSON text of a keystore file.
    pub fn from_json(text: &str) -> Result<Self, KeyError> {
        let entries: Vec<String> =
            serde_json::from_str(text).map_err(|source| KeyError::KeystoreFormat { path: String::new(), source })?;
        let keys = entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                Ed25519PrivateKey::from_base64(entry.trim())
                    .map(|secret| Keypair { secret })
                    .map_err(|source| KeyError::KeystoreEntry { index, source })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { keys })
    }

    /// The JSON text of the keystore file.
    pub fn to_json(&self) -> String {
        let entries: Vec<String> = self.keys.iter().map(Keypair::to_keystore_entry).collect();
        serde_json::to_string_pretty(&entries).expect("a list of strings always serializes")
    }

    /// Writes the keystore, readable and writable by its owner only (see [`write_private`]).
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        write_private(path, self.to_json().as_bytes())
            .map_err(|source| KeyError::Io { path: path.display().to_string(), source })
    }

    /// The key whose address is `address`, if present.
    pub fn find(&self, address: &Address) -> Option<&Keypair> {
        self.keys.iter().find(|k| k.address() == *address)
    }
}

/// Writes a file holding secrets (keys, a node config naming its keys): readable and writable by
/// its owner only (0600 on Unix), an existing file narrowed to 0600 before it is rewritten, so
/// the secret is never readable by others, even for a moment.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    let mut file = options.open(path)?;
    std::io::Write::write_all(&mut file, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn keystores_are_written_for_their_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sui.keystore");
        std::fs::write(&path, "[]").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let keystore = Keystore { keys: vec![Keypair::generate()] };
        keystore.save(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(Keystore::load(&path).unwrap().keys[0].address(), keystore.keys[0].address());
        let fresh = dir.path().join("new.keystore");
        keystore.save(&fresh).unwrap();
        assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn suiprivkey_round_trips_and_keeps_the_address() {
        let key = Keypair::from_secret_bytes([7; 32]);
        let encoded = key.to_suiprivkey().unwrap();
        assert!(encoded.starts_with("suiprivkey1"));
        let back = Keypair::from_suiprivkey(&encoded).unwrap();
        assert_eq!(back.address(), key.address());
    }

    #[test]
    fn address_is_blake2b_of_flag_and_public_key() {
        use sui_sdk_types::hash::Hasher;
        let key = Keypair::from_secret_bytes([3; 32]);
        let mut hasher = Hasher::new();
        hasher.update([0u8]);
        hasher.update(key.public_key().as_bytes());
        let expected = Address::new(hasher.finalize().into_inner());
        assert_eq!(key.address(), expected);
    }

    #[test]
    fn keystore_json_round_trips() {
        let store = Keystore { keys: vec![Keypair::generate(), Keypair::generate()] };
        let back = Keystore::from_json(&store.to_json()).unwrap();
        let addrs: Vec<_> = back.keys.iter().map(Keypair::address).collect();
        assert_eq!(addrs, store.keys.iter().map(Keypair::address).collect::<Vec<_>>());
        assert!(back.find(&addrs[1]).is_some());
    }

    #[test]
    fn keystore_file_round_trips_and_missing_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sui.keystore");
        let store = Keystore { keys: vec![Keypair::from_secret_bytes([5; 32])] };
        store.save(&path).unwrap();
        let back = Keystore::load(&path).unwrap();
        assert_eq!(back.keys[0].address(), store.keys[0].address());
        let err = Keystore::load(&dir.path().join("absent")).unwrap_err();
        assert!(err.to_string().contains("absent"), "{err}");
    }

    #[test]
    fn keystore_with_a_bad_entry_names_its_index() {
        let good = Keypair::generate().to_keystore_entry();
        let text = format!("[\"{good}\", \"not-base64!\"]");
        match Keystore::from_json(&text) {
            Err(KeyError::KeystoreEntry { index, .. }) => assert_eq!(index, 1),
            other => panic!("expected a bad entry error, got {other:?}"),
        }
    }

    #[test]
    fn bad_suiprivkey_is_rejected() {
        assert!(matches!(Keypair::from_suiprivkey("suiprivkey1qqqq"), Err(KeyError::Bech32(_))));
    }

    #[test]
    fn signature_verifies_against_the_transaction() {
        use sui_crypto::SuiVerifier;
        let key = Keypair::from_secret_bytes([9; 32]);
        let tx = Transaction {
            kind: sui_sdk_types::TransactionKind::ProgrammableTransaction(sui_sdk_types::ProgrammableTransaction {
                inputs: vec![],
                commands: vec![],
            }),
            sender: key.address(),
            gas_payment: sui_sdk_types::GasPayment { objects: vec![], owner: key.address(), price: 1000, budget: 1 },
            expiration: sui_sdk_types::TransactionExpiration::None,
        };
        let sig = key.sign_transaction(&tx).unwrap();
        let verifier = sui_crypto::UserSignatureVerifier::new();
        verifier.verify_transaction(&tx, &sig).unwrap();
        assert_eq!(sig.derive_address(), key.address());
    }
}
