//! UID sets as sorted, merged ranges: stored as IMAP sequence-set text (`1:500,502`) and split
//! into commands of under ~1,000 characters (RFC 2683 §3.2.1.5).

use std::fmt::Write;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UidSet {
    ranges: Vec<(u32, u32)>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a UID set: {0:?}")]
pub struct UidSetParseError(pub String);

impl UidSet {
    pub fn new() -> Self {
        UidSet::default()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn len(&self) -> u64 {
        self.ranges.iter().map(|(a, b)| u64::from(b - a) + 1).sum()
    }

    pub fn contains(&self, uid: u32) -> bool {
        let i = self.ranges.partition_point(|&(_, end)| end < uid);
        self.ranges.get(i).is_some_and(|&(start, _)| start <= uid)
    }

    pub fn insert(&mut self, uid: u32) {
        self.insert_range(uid, uid);
    }

    pub fn insert_range(&mut self, start: u32, end: u32) {
        let (start, end) = if start <= end {
            (start, end)
        } else {
            (end, start)
        };
        // First range that could touch [start, end] (its end + 1 >= start).
        let i = self
            .ranges
            .partition_point(|&(_, e)| e.saturating_add(1) < start);
        let mut j = i;
        let (mut s, mut e) = (start, end);
        while j < self.ranges.len() && self.ranges[j].0 <= end.saturating_add(1) {
            s = s.min(self.ranges[j].0);
            e = e.max(self.ranges[j].1);
            j += 1;
        }
        self.ranges.splice(i..j, [(s, e)]);
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.ranges.iter().flat_map(|&(a, b)| a..=b)
    }

    pub fn max(&self) -> Option<u32> {
        self.ranges.last().map(|r| r.1)
    }

    pub fn parse(text: &str) -> Result<UidSet, UidSetParseError> {
        let mut set = UidSet::new();
        let err = || UidSetParseError(text.chars().take(80).collect());
        for part in text.split(',').filter(|p| !p.is_empty()) {
            let (a, b) = match part.split_once(':') {
                Some((a, b)) => (a.parse().map_err(|_| err())?, b.parse().map_err(|_| err())?),
                None => {
                    let v = part.parse().map_err(|_| err())?;
                    (v, v)
                }
            };
            if a == 0 || b == 0 {
                return Err(err());
            }
            set.insert_range(a, b);
        }
        Ok(set)
    }

    /// The set as sequence-set strings, each at most `max_chars` long.
    pub fn to_command_chunks(&self, max_chars: usize) -> Vec<String> {
        let mut chunks = Vec::new();
        let mut current = String::new();
        for &(a, b) in &self.ranges {
            let mut piece = String::new();
            if a == b {
                let _ = write!(piece, "{a}");
            } else {
                let _ = write!(piece, "{a}:{b}");
            }
            if !current.is_empty() && current.len() + 1 + piece.len() > max_chars {
                chunks.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(',');
            }
            current.push_str(&piece);
        }
        if !current.is_empty() {
            chunks.push(current);
        }
        chunks
    }
}

impl std::fmt::Display for UidSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_command_chunks(usize::MAX).join(","))
    }
}

impl FromIterator<u32> for UidSet {
    fn from_iter<I: IntoIterator<Item = u32>>(iter: I) -> Self {
        let mut set = UidSet::new();
        for uid in iter {
            set.insert(uid);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_and_formats() {
        let cases: &[(&[u32], &str)] = &[
            (&[], ""),
            (&[1], "1"),
            (&[1, 2, 3], "1:3"),
            (&[3, 1, 2], "1:3"),
            (&[1, 3], "1,3"),
            (&[5, 1, 3, 2, 4], "1:5"),
            (&[10, 12, 11, 20], "10:12,20"),
            (&[u32::MAX, 1], "1,4294967295"),
        ];
        for (uids, want) in cases {
            let set: UidSet = uids.iter().copied().collect();
            assert_eq!(set.to_string(), *want, "{uids:?}");
            assert_eq!(UidSet::parse(want).unwrap(), set);
            assert_eq!(set.len(), uids.len() as u64);
        }
    }

    #[test]
    fn contains_and_ranges() {
        let mut set = UidSet::parse("1:5,10,20:30").unwrap();
        assert!(set.contains(1) && set.contains(5) && set.contains(10) && set.contains(25));
        assert!(!set.contains(6) && !set.contains(31) && !set.contains(0));
        set.insert_range(6, 9);
        assert_eq!(set.to_string(), "1:10,20:30");
        set.insert_range(11, 19);
        assert_eq!(set.to_string(), "1:30");
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["x", "1:", "0", "1,,a", "-3"] {
            assert!(UidSet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chunks_stay_short() {
        let set: UidSet = (1..5000).step_by(2).collect();
        let chunks = set.to_command_chunks(1000);
        assert!(chunks.len() > 1);
        assert!(chunks.iter().all(|c| c.len() <= 1000));
        let rejoined = UidSet::parse(&chunks.join(",")).unwrap();
        assert_eq!(rejoined, set);
    }
}
