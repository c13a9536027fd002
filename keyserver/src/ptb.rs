//! The shape a key request's PTB must have: only `seal_approve*` Move calls, all into one
//! package, every argument a transaction input (no gas coin, no results of other commands), and
//! the first argument of each a pure `vector<u8>`: the inner key id that call approves.

use sui_sdk_types::{Address, Argument, Command, Input, ProgrammableTransaction};

use crate::limits::MAX_COMMANDS;

/// The prefix every approval function's name starts with.
pub const APPROVE_PREFIX: &str = "seal_approve";

/// Why a PTB is not an acceptable key request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PtbError {
    /// No commands, or more than [`MAX_COMMANDS`].
    #[error("the PTB has {commands} commands, expected 1 to {max}")]
    CommandCount {
        /// Commands in the PTB.
        commands: usize,
        /// The bound.
        max: usize,
    },
    /// A command is not a Move call (e.g. a transfer or a coin split).
    #[error("command {index} is not a Move call")]
    NotMoveCall {
        /// The command's position.
        index: usize,
    },
    /// A call to a function whose name does not start with `seal_approve`.
    #[error("command {index} calls {module}::{function}, only seal_approve* functions may be called")]
    NotApproval {
        /// The command's position.
        index: usize,
        /// The called module.
        module: String,
        /// The called function.
        function: String,
    },
    /// Calls into more than one package.
    #[error("command {index} calls package {package}, but the PTB is for package {first}")]
    MixedPackages {
        /// The command's position.
        index: usize,
        /// Its package.
        package: Address,
        /// The first command's package.
        first: Address,
    },
    /// An argument that is not a transaction input (gas coin or a command's result).
    #[error("command {index} argument {argument} is not a transaction input")]
    NotInput {
        /// The command's position.
        index: usize,
        /// The argument's position.
        argument: usize,
    },
    /// The first argument is missing, not a pure input, or not a BCS `vector<u8>`.
    #[error("command {index}: the first argument must be the key id as a pure vector<u8>")]
    BadKeyId {
        /// The command's position.
        index: usize,
    },
}

/// A PTB that passed the shape check: its package and the inner key ids it asks for, in
/// command order (repeats removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequestPtb {
    /// The one package all calls go to (the identity's package).
    pub package: Address,
    /// The inner key ids (without the package prefix).
    pub ids: Vec<Vec<u8>>,
}

/// Checks the shape of a key request's PTB and extracts its package and key ids.
pub fn check_ptb(ptb: &ProgrammableTransaction) -> Result<KeyRequestPtb, PtbError> {
    if ptb.commands.is_empty() || ptb.commands.len() > MAX_COMMANDS {
        return Err(PtbError::CommandCount { commands: ptb.commands.len(), max: MAX_COMMANDS });
    }
    let mut package = None;
    let mut ids: Vec<Vec<u8>> = Vec::new();
    for (index, command) in ptb.commands.iter().enumerate() {
        let Command::MoveCall(call) = command else {
            return Err(PtbError::NotMoveCall { index });
        };
        if !call.function.as_str().starts_with(APPROVE_PREFIX) {
            return Err(PtbError::NotApproval {
                index,
                module: call.module.as_str().to_owned(),
                function: call.function.as_str().to_owned(),
            });
        }
        match package {
            None => package = Some(call.package),
            Some(first) if first != call.package => {
                return Err(PtbError::MixedPackages { index, package: call.package, first });
            }
            Some(_) => {}
        }
        let mut inputs = Vec::with_capacity(call.arguments.len());
        for (argument, arg) in call.arguments.iter().enumerate() {
            match arg {
                Argument::Input(i) => inputs.push(*i),
                _ => return Err(PtbError::NotInput { index, argument }),
            }
        }
        let id = inputs
            .first()
            .and_then(|i| ptb.inputs.get(usize::from(*i)))
            .and_then(|input| match input {
                Input::Pure(bytes) => bcs::from_bytes::<Vec<u8>>(bytes).ok(),
                _ => None,
            })
            .ok_or(PtbError::BadKeyId { index })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let package = package.expect("at least one command was checked");
    Ok(KeyRequestPtb { package, ids })
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::{Identifier, MoveCall};

    use super::*;

    const PACKAGE: Address = Address::from_static("0x5e");

    fn approve(package: Address, function: &str, arguments: Vec<Argument>) -> Command {
        Command::MoveCall(MoveCall {
            package,
            module: Identifier::from_static("owner_policy"),
            function: Identifier::new(function).unwrap(),
            type_arguments: vec![],
            arguments,
        })
    }

    fn ptb(commands: Vec<Command>) -> ProgrammableTransaction {
        let id = bcs::to_bytes(&b"key id".to_vec()).unwrap();
        ProgrammableTransaction { inputs: vec![Input::Pure(id), Input::Pure(vec![1])], commands }
    }

    #[test]
    fn approvals_in_one_package_yield_their_ids() {
        let request = check_ptb(&ptb(vec![
            approve(PACKAGE, "seal_approve", vec![Argument::Input(0)]),
            approve(PACKAGE, "seal_approve_other", vec![Argument::Input(0), Argument::Input(1)]),
        ]))
        .unwrap();
        assert_eq!(request, KeyRequestPtb { package: PACKAGE, ids: vec![b"key id".to_vec()] });
    }

    #[test]
    fn a_call_to_anything_but_seal_approve_is_refused() {
        let err = check_ptb(&ptb(vec![
            approve(PACKAGE, "seal_approve", vec![Argument::Input(0)]),
            approve(PACKAGE, "transfer", vec![Argument::Input(0)]),
        ]))
        .unwrap_err();
        assert!(matches!(err, PtbError::NotApproval { index: 1, ref function, .. } if function == "transfer"));
        let split = Command::SplitCoins(sui_sdk_types::SplitCoins { coin: Argument::Gas, amounts: vec![] });
        assert_eq!(check_ptb(&ptb(vec![split])).unwrap_err(), PtbError::NotMoveCall { index: 0 });
    }

    #[test]
    fn calls_into_two_packages_are_refused() {
        let other = Address::from_static("0x77");
        let err = check_ptb(&ptb(vec![
            approve(PACKAGE, "seal_approve", vec![Argument::Input(0)]),
            approve(other, "seal_approve", vec![Argument::Input(0)]),
        ]))
        .unwrap_err();
        assert_eq!(err, PtbError::MixedPackages { index: 1, package: other, first: PACKAGE });
    }

    #[test]
    fn gas_results_and_non_vector_ids_are_refused() {
        let gas = ptb(vec![approve(PACKAGE, "seal_approve", vec![Argument::Input(0), Argument::Gas])]);
        assert_eq!(check_ptb(&gas).unwrap_err(), PtbError::NotInput { index: 0, argument: 1 });
        let result = ptb(vec![approve(PACKAGE, "seal_approve", vec![Argument::Result(0)])]);
        assert_eq!(check_ptb(&result).unwrap_err(), PtbError::NotInput { index: 0, argument: 0 });
        // Input 1 holds [1], which is a vector<u8> of length... 1 needs a byte after it: invalid.
        let bad = ptb(vec![approve(PACKAGE, "seal_approve", vec![Argument::Input(1)])]);
        assert_eq!(check_ptb(&bad).unwrap_err(), PtbError::BadKeyId { index: 0 });
        let none = ptb(vec![approve(PACKAGE, "seal_approve", vec![])]);
        assert_eq!(check_ptb(&none).unwrap_err(), PtbError::BadKeyId { index: 0 });
    }

    #[test]
    fn empty_and_oversized_ptbs_are_refused() {
        assert_eq!(check_ptb(&ptb(vec![])).unwrap_err(), PtbError::CommandCount { commands: 0, max: MAX_COMMANDS });
        let many = (0..=MAX_COMMANDS).map(|_| approve(PACKAGE, "seal_approve", vec![Argument::Input(0)])).collect();
        assert!(matches!(check_ptb(&ptb(many)).unwrap_err(), PtbError::CommandCount { .. }));
    }
}
