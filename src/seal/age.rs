//! Disclosure ciphertexts (spec §7.2): age v1 files (C2SP age) to X25519 recipients, through the
//! `age` crate. Nothing here is home-made cryptography: this module picks the recipients,
//! bounds the input and names the failures.

use std::io::{Read, Write};

use age::secrecy::ExposeSecret as _;
use zeroize::Zeroizing;

use super::{check_recipient, RecipientType};

/// Largest plaintext a disclosure may carry (bytes): an age file of at most 36,864 bytes fits the
/// ciphertext limit of 49,152 base64 characters, and the header of 64 X25519 stanzas takes
/// about 8 KiB of it.
pub const MAX_PLAINTEXT: usize = 24 * 1024;

/// A member's age X25519 identity: the secret half of their `encryption-key`.
pub struct Identity(age::x25519::Identity);

impl Identity {
    /// A new identity from the operating system's CSPRNG.
    pub fn generate() -> Identity {
        Identity(age::x25519::Identity::generate())
    }

    /// Reads an `AGE-SECRET-KEY-1…` string.
    pub fn parse(s: &str) -> Result<Identity, String> {
        s.trim()
            .parse::<age::x25519::Identity>()
            .map(Identity)
            .map_err(|_| "not an age X25519 identity (AGE-SECRET-KEY-1…)".to_string())
    }

    /// The `AGE-SECRET-KEY-1…` string.
    pub fn secret_string(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.to_string().expose_secret().to_string())
    }

    /// The recipient string (`age1…`) to publish.
    pub fn recipient(&self) -> String {
        self.0.to_public().to_string()
    }

    /// An identity file the reference `age` tool reads (`age -d -i FILE`): comments with the
    /// public key, then the secret key.
    pub fn identity_file(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "# coi-ledger encryption identity\n# public key: {}\n{}\n",
            self.recipient(),
            self.secret_string().as_str()
        ))
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity({})", self.recipient())
    }
}

/// Why a disclosure could not be made or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgeError {
    /// A recipient coi cannot encrypt to.
    #[error("cannot encrypt to {0}: only X25519 recipients (age1…) are supported")]
    Unsupported(String),
    /// A recipient string that is not a valid recipient.
    #[error("not an age recipient: {0}")]
    BadRecipient(String),
    /// None of the identities given opens the file: it is for someone else.
    #[error("none of your encryption identities opens it: it was not encrypted to you")]
    NotForYou,
    /// The bytes are not an age file coi accepts (a passphrase file, a damaged or truncated one).
    #[error("not a valid age file: {0}")]
    Malformed(String),
    /// The plaintext is over the bound.
    #[error("the plaintext is over {MAX_PLAINTEXT} bytes")]
    TooLarge,
}

/// Encrypts `plaintext` to each of `recipients` (X25519 `age1…` strings).
pub fn encrypt(recipients: &[String], plaintext: &[u8]) -> Result<Vec<u8>, AgeError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(AgeError::TooLarge);
    }
    let mut parsed = Vec::with_capacity(recipients.len());
    for r in recipients {
        match check_recipient(r) {
            Ok(RecipientType::X25519) => {}
            Ok(RecipientType::Other) => return Err(AgeError::Unsupported(r.clone())),
            Err(e) => return Err(AgeError::BadRecipient(e)),
        }
        parsed.push(
            r.parse::<age::x25519::Recipient>()
                .map_err(|e| AgeError::BadRecipient(e.to_string()))?,
        );
    }
    let encryptor =
        age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| AgeError::BadRecipient(e.to_string()))?;
    let mut out = Vec::with_capacity(plaintext.len() + 200 * recipients.len() + 64);
    let io = |e: std::io::Error| AgeError::Malformed(e.to_string());
    let mut w = encryptor.wrap_output(&mut out).map_err(io)?;
    w.write_all(plaintext).map_err(io)?;
    w.finish().map_err(io)?;
    Ok(out)
}

/// Decrypts an age file with the first of `identities` that opens it. Refuses passphrase
/// (scrypt) files, damaged files and plaintexts over [`MAX_PLAINTEXT`].
pub fn decrypt(identities: &[Identity], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, AgeError> {
    let d =
        age::Decryptor::new_buffered(ciphertext).map_err(|e| AgeError::Malformed(e.to_string()))?;
    if d.is_scrypt() {
        return Err(AgeError::Malformed(
            "encrypted with a passphrase, not to recipients".into(),
        ));
    }
    let mut reader = d
        .decrypt(identities.iter().map(|i| &i.0 as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => AgeError::NotForYou,
            e => AgeError::Malformed(e.to_string()),
        })?;
    let mut out = Zeroizing::new(Vec::new());
    (&mut reader)
        .take(MAX_PLAINTEXT as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| AgeError::Malformed(e.to_string()))?;
    if out.len() > MAX_PLAINTEXT {
        return Err(AgeError::TooLarge);
    }
    Ok(out)
}

/// Why a recipient refuses a disclosure (spec §7.2, "What a recipient checks", steps 2 to 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevealClass {
    /// None of the recipient's identities opens the ciphertext.
    NotForYou,
    /// The ciphertext or plaintext is not of the form §7.2 requires.
    BadPlaintext,
    /// A field disclosed is not one the declaration sealed.
    NotSealed,
    /// A value does not match the declaration's commitment.
    BadCommitment,
}

impl RevealClass {
    /// The class's name in the spec.
    pub fn as_str(self) -> &'static str {
        match self {
            RevealClass::NotForYou => "not-for-you",
            RevealClass::BadPlaintext => "bad-plaintext",
            RevealClass::NotSealed => "not-sealed",
            RevealClass::BadCommitment => "bad-commitment",
        }
    }
}

/// A refused disclosure: its class and what is wrong, for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", class.as_str())]
pub struct RevealError {
    /// The class of spec §7.2.
    pub class: RevealClass,
    /// What is wrong.
    pub message: String,
}

/// Opens `disclosure`, addressed to the holder of `identities`, for `declaration` (the
/// target's content): decrypts it and checks every field against the signed commitments
/// (spec §7.2, steps 2 to 5; step 1, that both verify in the author's chain, is the caller's).
pub fn open_disclosure(
    identities: &[Identity],
    disclosure: &crate::entry::Disclosure,
    declaration: &crate::entry::Declaration,
) -> Result<super::Openings, RevealError> {
    let fail = |class, message: String| RevealError { class, message };
    let Some(sealed) = declaration.sealed.as_ref() else {
        return Err(fail(
            RevealClass::NotSealed,
            "the declaration seals no field".into(),
        ));
    };
    use base64::Engine as _;
    let ct = base64::engine::general_purpose::STANDARD
        .decode(&disclosure.ciphertext)
        .map_err(|_| {
            fail(
                RevealClass::BadPlaintext,
                "the ciphertext is not base64".into(),
            )
        })?;
    let plaintext = decrypt(identities, &ct).map_err(|e| match e {
        AgeError::NotForYou => fail(
            RevealClass::NotForYou,
            "none of your encryption identities opens it: it was encrypted to another key".into(),
        ),
        e => fail(RevealClass::BadPlaintext, e.to_string()),
    })?;
    let openings =
        super::parse_plaintext(&plaintext).map_err(|m| fail(RevealClass::BadPlaintext, m))?;
    super::check_openings(sealed, &openings).map_err(|e| match e {
        super::OpeningError::NotSealed(_) => fail(RevealClass::NotSealed, e.to_string()),
        super::OpeningError::Mismatch(_) => fail(RevealClass::BadCommitment, e.to_string()),
        e => fail(RevealClass::BadPlaintext, e.to_string()),
    })?;
    Ok(openings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypts_to_each_recipient_and_no_one_else() {
        let (a, b, c) = (
            Identity::generate(),
            Identity::generate(),
            Identity::generate(),
        );
        let ct = encrypt(&[a.recipient(), b.recipient()], b"{\"fields\":{}}").unwrap();
        assert_eq!(decrypt(&[a], &ct).unwrap().as_slice(), b"{\"fields\":{}}");
        assert_eq!(
            decrypt(&[Identity::generate(), b], &ct).unwrap().as_slice(),
            b"{\"fields\":{}}"
        );
        assert_eq!(decrypt(&[c], &ct), Err(AgeError::NotForYou));
        assert!(matches!(
            decrypt(&[Identity::generate()], b"not age"),
            Err(AgeError::Malformed(_))
        ));
        let id = Identity::parse(Identity::generate().secret_string().as_str()).unwrap();
        let ct = encrypt(&[id.recipient()], b"x").unwrap();
        assert!(decrypt(&[Identity::parse(&id.secret_string()).unwrap()], &ct).is_ok());
        let mut damaged = ct.clone();
        let n = damaged.len() - 3;
        damaged[n] ^= 1;
        assert!(matches!(
            decrypt(&[id], &damaged),
            Err(AgeError::Malformed(_))
        ));
        assert!(matches!(
            encrypt(&["age1pq1qqqqqqqqqq".into()], b"x"),
            Err(AgeError::Unsupported(_))
        ));
    }
}
