//! A key → sorted record indices multimap that is compact for keys held by one record.
//!
//! Most values and blocking keys (emails, phones, addresses) belong to one subject. A hash map of
//! vectors costs about 70 bytes for each of them (table slot, vector header, heap block); at ten
//! million subjects that was most of the memory. Here keys held by one record live in two sorted
//! arrays (12 bytes an entry, looked up by binary search), keys held by more in a hash map. An update
//! of a key moves it into the map, where it stays (the map takes precedence), so incremental linking
//! changes nothing but the memory: the answers are those of the map the index replaced.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use redflag_model::SubjectId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Key → sorted record indices (see the module notes).
#[derive(Debug, Default, Clone)]
pub(crate) struct KeyIndex {
    /// Keys with their holders; takes precedence over `single`.
    map: HashMap<u64, Vec<u32>>,
    /// Sorted keys held by one record each (frozen by a batch build)...
    single_keys: Vec<u64>,
    /// ... and that record.
    single_vals: Vec<u32>,
}

impl KeyIndex {
    /// An index from `(key, record)` entries grouped by key (holders are kept in the given order).
    pub(crate) fn from_sorted(entries: &[(u64, u32)]) -> Self {
        let mut out = Self::default();
        let runs = entries.chunk_by(|x, y| x.0 == y.0);
        let singles = runs.clone().filter(|r| r.len() == 1).count();
        out.single_keys.reserve_exact(singles);
        out.single_vals.reserve_exact(singles);
        out.map.reserve(runs.clone().count() - singles);
        for run in runs {
            if run.len() == 1 {
                out.single_keys.push(run[0].0);
                out.single_vals.push(run[0].1);
            } else {
                out.map.insert(run[0].0, run.iter().map(|x| x.1).collect());
            }
        }
        out
    }

    /// Whether no key was ever entered.
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty() && self.single_keys.is_empty()
    }

    fn single(&self, key: u64) -> Option<usize> {
        self.single_keys.binary_search(&key).ok()
    }

    /// The holders of `key`, if it has an entry (possibly empty after removals).
    pub(crate) fn get(&self, key: &u64) -> Option<&[u32]> {
        if let Some(v) = self.map.get(key) {
            return Some(v.as_slice());
        }
        self.single(*key)
            .map(|i| std::slice::from_ref(&self.single_vals[i]))
    }

    /// The number of holders of `key`.
    pub(crate) fn len_of(&self, key: &u64) -> usize {
        self.get(key).map_or(0, <[u32]>::len)
    }

    /// The holders of `key` for updating (created empty when missing).
    pub(crate) fn entry(&mut self, key: u64) -> &mut Vec<u32> {
        let single = if self.map.contains_key(&key) {
            None
        } else {
            self.single(key).map(|i| self.single_vals[i])
        };
        self.map
            .entry(key)
            .or_insert_with(|| single.into_iter().collect())
    }

    /// The holders of `key` for updating, when it has an entry.
    pub(crate) fn get_mut(&mut self, key: &u64) -> Option<&mut Vec<u32>> {
        if self.map.contains_key(key) || self.single(*key).is_some() {
            Some(self.entry(*key))
        } else {
            None
        }
    }

    /// Every entry (key, holders), map first; a key moved into the map is listed once.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &[u32])> {
        self.map.iter().map(|(k, v)| (*k, v.as_slice())).chain(
            self.single_keys
                .iter()
                .zip(&self.single_vals)
                .filter(|(k, _)| !self.map.contains_key(k))
                .map(|(k, v)| (*k, std::slice::from_ref(v))),
        )
    }

    /// Every holder of every key.
    pub(crate) fn all_holders(&self) -> impl Iterator<Item = &u32> {
        self.iter().flat_map(|(_, v)| v.iter())
    }
}

impl PartialEq for KeyIndex {
    fn eq(&self, other: &Self) -> bool {
        let a: HashMap<u64, &[u32]> = self.iter().collect();
        let b: HashMap<u64, &[u32]> = other.iter().collect();
        a == b
    }
}

/// Serialised as the map it replaces (`HashMap<u64, Vec<u32>>`), so saved states keep their format.
impl Serialize for KeyIndex {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.iter().count()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(&k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for KeyIndex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = HashMap::<u64, Vec<u32>>::deserialize(deserializer)?;
        Ok(Self {
            map,
            ..Self::default()
        })
    }
}

/// Subject id → record index, keyed by a 64-bit hash of the id, so the index does not hold a second
/// copy of every id (about 20 bytes a subject instead of 90); ids whose hash collides with another's
/// go to a side map, so answers are exact.
#[derive(Debug, Default)]
pub(crate) struct IdIndex {
    by_hash: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    collided: HashMap<SubjectId, u32>,
}

/// A hasher for keys that are already 64-bit hashes (xxh3 of the id): the key is the hash.
#[derive(Debug, Default)]
pub(crate) struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed (`write_u64`); anything else is folded in, still correct.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}

fn id_hash(id: &SubjectId) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_str().as_bytes())
}

impl IdIndex {
    /// The index of `ids` (position = record index).
    pub(crate) fn build(ids: &[SubjectId]) -> Self {
        let mut out = Self::default();
        out.by_hash.reserve(ids.len());
        for (i, id) in ids.iter().enumerate() {
            out.insert(id, i as u32, ids);
        }
        out
    }

    /// The record index of `id`.
    pub(crate) fn get(&self, id: &SubjectId, ids: &[SubjectId]) -> Option<u32> {
        if let Some(&i) = self.by_hash.get(&id_hash(id))
            && ids.get(i as usize) == Some(id)
        {
            return Some(i);
        }
        self.collided.get(id).copied()
    }

    /// Records that `id` (already at `ids[i]`) is record `i`.
    pub(crate) fn insert(&mut self, id: &SubjectId, i: u32, ids: &[SubjectId]) {
        match self.by_hash.entry(id_hash(id)) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(i);
            }
            std::collections::hash_map::Entry::Occupied(mut e) => {
                if ids.get(*e.get() as usize) == Some(id) {
                    e.insert(i);
                } else {
                    self.collided.insert(id.clone(), i);
                }
            }
        }
    }

    /// Room for `n` more ids.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.by_hash.reserve(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_map_of_vectors() {
        let mut idx = KeyIndex::from_sorted(&[(1, 4), (2, 5), (2, 7), (9, 1)]);
        assert_eq!(idx.get(&1), Some(&[4u32][..]));
        assert_eq!(idx.get(&2), Some(&[5u32, 7][..]));
        assert_eq!(idx.get(&3), None);
        assert_eq!(idx.len_of(&9), 1);
        assert!(idx.get_mut(&3).is_none());
        idx.entry(1).push(6);
        assert_eq!(idx.get(&1), Some(&[4u32, 6][..]));
        idx.get_mut(&9).unwrap().clear();
        assert_eq!(idx.get(&9), Some(&[][..]));
        idx.entry(3).push(2);
        let mut all: Vec<(u64, Vec<u32>)> = idx.iter().map(|(k, v)| (k, v.to_vec())).collect();
        all.sort();
        assert_eq!(
            all,
            vec![(1, vec![4, 6]), (2, vec![5, 7]), (3, vec![2]), (9, vec![])]
        );
        let bytes = postcard::to_allocvec(&idx).unwrap();
        let back: KeyIndex = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, idx);
        assert!(!back.is_empty());
        assert!(KeyIndex::default().is_empty());
    }

    #[test]
    fn id_index_finds_every_id() {
        let ids: Vec<SubjectId> = (0..1000)
            .map(|k| SubjectId::new("t", &k.to_string()).unwrap())
            .collect();
        let idx = IdIndex::build(&ids);
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(idx.get(id, &ids), Some(i as u32));
        }
        assert_eq!(idx.get(&SubjectId::new("t", "x").unwrap(), &ids), None);
        // A collision (forced: two ids entered under one hash) still answers exactly.
        let mut forced = IdIndex::default();
        forced.by_hash.insert(id_hash(&ids[1]), 0);
        forced.insert(&ids[1], 1, &ids);
        assert_eq!(forced.get(&ids[1], &ids), Some(1));
        assert_eq!(forced.get(&ids[0], &ids), None);
    }
}
