//! `--epochs N|max`: how long to pay for, checked against the chain's `max_epochs_ahead` before
//! anything is paid.

use std::{fmt, str::FromStr};

/// Epochs to pay for: a number, or `max` (as far ahead as the system sells storage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epochs {
    /// This many epochs.
    Count(u32),
    /// The most the system allows.
    Max,
}

impl FromStr for Epochs {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.eq_ignore_ascii_case("max") {
            return Ok(Self::Max);
        }
        match text.parse::<u32>() {
            Ok(0) => Err("at least 1 epoch".to_owned()),
            Ok(count) => Ok(Self::Count(count)),
            Err(_) => Err(format!("{text:?} is neither a number of epochs nor `max`")),
        }
    }
}

impl fmt::Display for Epochs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(count) => write!(f, "{count}"),
            Self::Max => write!(f, "max"),
        }
    }
}

/// `--epochs` asks for more than the chain sells.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpochsError {
    /// A new blob beyond the horizon.
    #[error("--epochs {asked}: storage is sold at most {max_epochs_ahead} epochs ahead")]
    TooFar {
        /// What was asked.
        asked: u32,
        /// The chain's `max_epochs_ahead`.
        max_epochs_ahead: u32,
    },
    /// An extension beyond the horizon.
    #[error(
        "--epochs {asked}: storage is sold at most {max_epochs_ahead} epochs ahead and the blob is already paid for \
         {already} of them, so it can be extended by at most {room}"
    )]
    ExtensionTooFar {
        /// What was asked.
        asked: u32,
        /// The chain's `max_epochs_ahead`.
        max_epochs_ahead: u32,
        /// Epochs ahead the blob is paid for.
        already: u32,
        /// Epochs it can still be extended by.
        room: u32,
    },
    /// An extension with nothing left to add.
    #[error("the blob is already paid for {already} epochs ahead, the most the chain sells ({max_epochs_ahead})")]
    AtHorizon {
        /// Epochs ahead the blob is paid for.
        already: u32,
        /// The chain's `max_epochs_ahead`.
        max_epochs_ahead: u32,
    },
}

impl Epochs {
    /// Epochs to buy for a new blob, from the current epoch.
    pub fn for_new_blob(self, max_epochs_ahead: u32) -> Result<u32, EpochsError> {
        self.for_extension(0, max_epochs_ahead)
    }

    /// Epochs to add to a blob paid for `already` epochs ahead of the current one.
    pub fn for_extension(self, already: u32, max_epochs_ahead: u32) -> Result<u32, EpochsError> {
        let room = max_epochs_ahead.saturating_sub(already);
        match self {
            Self::Max if room == 0 => Err(EpochsError::AtHorizon { already, max_epochs_ahead }),
            Self::Max => Ok(room),
            Self::Count(asked) if asked > room && already == 0 => Err(EpochsError::TooFar { asked, max_epochs_ahead }),
            Self::Count(asked) if asked > room => {
                Err(EpochsError::ExtensionTooFar { asked, max_epochs_ahead, already, room })
            }
            Self::Count(asked) => Ok(asked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_are_a_number_or_max() {
        assert_eq!("3".parse::<Epochs>(), Ok(Epochs::Count(3)));
        assert_eq!("MAX".parse::<Epochs>(), Ok(Epochs::Max));
        assert!("0".parse::<Epochs>().unwrap_err().contains("at least 1"));
        assert!("forever".parse::<Epochs>().unwrap_err().contains("neither a number"));
    }

    #[test]
    fn too_many_epochs_name_the_limit_before_anything_is_paid() {
        assert_eq!(Epochs::Max.for_new_blob(104), Ok(104));
        assert_eq!(Epochs::Count(104).for_new_blob(104), Ok(104));
        let error = Epochs::Count(500).for_new_blob(104).unwrap_err();
        assert_eq!(error.to_string(), "--epochs 500: storage is sold at most 104 epochs ahead");
    }

    #[test]
    fn an_extension_has_the_room_left_before_the_horizon() {
        assert_eq!(Epochs::Max.for_extension(4, 10), Ok(6));
        assert_eq!(Epochs::Count(6).for_extension(4, 10), Ok(6));
        let error = Epochs::Count(7).for_extension(4, 10).unwrap_err();
        assert!(
            error.to_string().ends_with("already paid for 4 of them, so it can be extended by at most 6"),
            "{error}"
        );
        assert_eq!(
            Epochs::Max.for_extension(10, 10),
            Err(EpochsError::AtHorizon { already: 10, max_epochs_ahead: 10 })
        );
    }
}
