//! Typed indices: shards, sliver pairs, slivers, epochs, and the two sliver axes.
//!
//! Sliver pair `p` holds primary sliver `p` and secondary sliver `n - 1 - p`, so the systematic
//! slivers of both axes land on different pairs.
//!
//! ```
//! use floe_encoder::{SliverPairIndex, SliverType};
//!
//! let pair = SliverPairIndex(3);
//! assert_eq!(pair.sliver_index(SliverType::Primary, 10).0, 3);
//! assert_eq!(pair.sliver_index(SliverType::Secondary, 10).0, 6);
//! ```

use core::fmt;

use serde::{Deserialize, Serialize};

/// A storage epoch.
pub type Epoch = u32;

/// The two axes of the RS2 matrix: primary slivers are rows, secondary slivers are columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SliverType {
    /// A row of the expanded matrix, truncated to `n - f` symbols.
    Primary,
    /// A column of the expanded matrix, truncated to `n - 2f` symbols.
    Secondary,
}

impl SliverType {
    /// The other axis.
    pub const fn orthogonal(self) -> Self {
        match self {
            Self::Primary => Self::Secondary,
            Self::Secondary => Self::Primary,
        }
    }

    /// The lowercase name used in URLs and messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Secondary => "secondary",
        }
    }
}

impl fmt::Display for SliverType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::str::FromStr for SliverType {
    type Err = UnknownSliverType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "primary" => Ok(Self::Primary),
            "secondary" => Ok(Self::Secondary),
            other => Err(UnknownSliverType(other.to_owned())),
        }
    }
}

/// A sliver type name that is neither `primary` nor `secondary`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sliver type {0:?}: expected \"primary\" or \"secondary\"")]
pub struct UnknownSliverType(pub String);

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u16);

        impl $name {
            /// The index as a `usize`, for slices.
            pub const fn as_usize(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

index_type!(
    /// A shard of the system, `0..n`. Shards are assigned to storage nodes per epoch.
    ShardIndex
);
index_type!(
    /// A sliver pair, `0..n`: what one shard stores of one blob.
    SliverPairIndex
);
index_type!(
    /// A sliver's position on its axis, `0..n`: its row (primary) or column (secondary).
    SliverIndex
);

impl SliverPairIndex {
    /// The index of this pair's sliver on `axis`.
    pub const fn sliver_index(self, axis: SliverType, n_shards: u16) -> SliverIndex {
        match axis {
            SliverType::Primary => SliverIndex(self.0),
            SliverType::Secondary => SliverIndex(n_shards - 1 - self.0),
        }
    }
}

impl SliverIndex {
    /// The pair that holds the sliver of `axis` at this index, which must be below `n_shards`.
    pub const fn pair_index(self, axis: SliverType, n_shards: u16) -> SliverPairIndex {
        match axis {
            SliverType::Primary => SliverPairIndex(self.0),
            SliverType::Secondary => SliverPairIndex(n_shards - 1 - self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_and_sliver_indices_are_inverse_on_both_axes() {
        for n in [4u16, 7, 1000] {
            for p in 0..n {
                for axis in [SliverType::Primary, SliverType::Secondary] {
                    let sliver = SliverPairIndex(p).sliver_index(axis, n);
                    assert_eq!(sliver.pair_index(axis, n), SliverPairIndex(p));
                }
            }
        }
    }

    #[test]
    fn sliver_type_parses_its_own_names_only() {
        assert_eq!("primary".parse::<SliverType>().unwrap(), SliverType::Primary);
        assert_eq!("secondary".parse::<SliverType>().unwrap(), SliverType::Secondary);
        assert!("Primary".parse::<SliverType>().is_err());
    }
}
