//! Test support inside the crate: chains of signed entries built one by one.

use crate::entry::{Data, Draft, Entry, EntryId, Head, Profile, Timestamp};
use crate::keys::{MemberId, SecretKey};

/// A member's chain of signed entries, built one by one.
pub struct Chain {
    pub key: SecretKey,
    pub member: MemberId,
    pub entries: Vec<Entry>,
}

impl Chain {
    pub fn new(seed: u8) -> Self {
        let key = SecretKey::from_seed(&[seed; 32]);
        let member = key.public().member_id();
        Chain {
            key,
            member,
            entries: Vec::new(),
        }
    }

    /// The next entry, made on 2026-01-01.
    pub fn push(&mut self, data: Data) -> Entry {
        self.push_at("2026-01-01T00:00:00Z", data)
    }

    /// The next entry, made at `time`.
    pub fn push_at(&mut self, time: &str, data: Data) -> Entry {
        let draft = Draft {
            member: self.member,
            seq: self.entries.len() as u64 + 1,
            prev: self.entries.last().map_or(EntryId::ZERO, |e| e.id),
            time: Timestamp::parse(time).expect("a time"),
            data,
        };
        let e = draft.sign(&self.key).expect("a well-formed draft");
        self.entries.push(e.clone());
        e
    }

    pub fn none(&mut self) -> Entry {
        self.named("A")
    }

    pub fn named(&mut self, name: &str) -> Entry {
        self.push(Data::Profile(Profile {
            affiliation: None,
            capacity: None,
            name: name.into(),
        }))
    }

    pub fn head(&self, seq: u64) -> Head {
        Head {
            id: self.entries[seq as usize - 1].id,
            member: self.member,
            seq,
        }
    }
}
