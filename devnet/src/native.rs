//! The plug-in interface for Move packages implemented natively in Rust: a [`NativePackage`]
//! receives a Move call (module, function, type arguments, resolved arguments) and reads,
//! mutates, creates, transfers or deletes objects, emits events, or aborts with a code.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sui_sdk_types::{Address, Identifier, Owner, StructTag, TypeTag};

use crate::working_set::WorkingSet;

/// A value flowing between the commands of a programmable transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An object of the transaction's working set, by id.
    Object(Address),
    /// A plain Move value as BCS bytes (pure inputs, or values returned by calls).
    Pure(Vec<u8>),
    /// A vector of objects built by `MakeMoveVec`, in order.
    Objects(Vec<Address>),
}

impl Value {
    /// A pure value from anything serializable to BCS.
    pub fn pure<T: Serialize>(value: &T) -> Self {
        Self::Pure(bcs::to_bytes(value).expect("BCS serialization of plain values does not fail"))
    }
}

/// Why a native call did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// A Move abort, located like Sui locates it.
    #[error("abort {code} in {module}::{function}")]
    Abort {
        /// The module that aborted (in the called package unless `package` says otherwise).
        module: Identifier,
        /// The function that aborted.
        function: Identifier,
        /// The abort code.
        code: u64,
        /// The package of the aborting module, when not the called package (e.g. 0x2).
        package: Option<Address>,
    },
    /// An argument has the wrong type or is not usable (e.g. an immutable object passed as `&mut`).
    #[error("argument {index}: {reason}")]
    Argument {
        /// Position of the argument in the call.
        index: u16,
        /// What was wrong.
        reason: String,
    },
    /// The package has no such function. Admission refuses calls to functions a package does
    /// not have, so only a package called directly sees this.
    #[error("no function {module}::{function} in this package")]
    UnknownFunction {
        /// The module named by the call.
        module: Identifier,
        /// The function named by the call.
        function: Identifier,
    },
    /// The native implementation panicked (a bug in it); reported as an invariant violation.
    #[error("the native implementation panicked")]
    Panicked,
}

/// A natively implemented Move function: runs one call on its resolved arguments.
pub(crate) type NativeFn = fn(&mut MoveCallContext<'_>, &[Value]) -> Result<Vec<Value>, CallError>;

/// The natively implemented functions of one Move module, each name next to its implementation.
pub(crate) type ModuleFunctions = &'static [(&'static str, NativeFn)];

/// A native package's modules, each with its functions: the one list from which a package
/// answers both whether it has a function ([`NativePackage::has_function`]) and how to run it
/// ([`NativePackage::call`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FunctionTable(pub &'static [(&'static str, ModuleFunctions)]);

impl FunctionTable {
    /// The implementation of `module::function`, if the package has it.
    pub(crate) fn get(&self, module: &str, function: &str) -> Option<NativeFn> {
        let (_, functions) = self.0.iter().find(|(name, _)| *name == module)?;
        functions.iter().find(|(name, _)| *name == function).map(|(_, run)| *run)
    }

    /// Runs the called function, or answers [`CallError::UnknownFunction`].
    pub(crate) fn call(&self, call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
        match self.get(call.module(), call.function()) {
            Some(run) => run(call, args),
            None => Err(CallError::UnknownFunction { module: call.module.clone(), function: call.function.clone() }),
        }
    }

    /// Every function as `(module, function)`, in table order.
    pub(crate) fn functions(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        self.0.iter().flat_map(|(module, functions)| functions.iter().map(move |(name, _)| (*module, *name)))
    }
}

/// A Move package implemented natively.
pub trait NativePackage: Send + Sync + 'static {
    /// Whether the package defines this public function; unknown functions are rejected before
    /// execution, as a real node rejects calls to functions that do not exist.
    fn has_function(&self, module: &str, function: &str) -> bool;

    /// Runs one Move call and returns its results.
    fn call(&self, call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError>;

    /// Work a call's pure arguments allow ahead of execution, off the sequencer thread (e.g.
    /// checking a certificate's signature), so that [`NativePackage::call`] finds it done.
    /// `pure_args[i]` holds argument `i`'s BCS bytes when it is a pure input. It must not decide
    /// anything: `call` stays the judge of every outcome. By default nothing is prepared.
    fn prepare(&self, _module: &str, _function: &str, _pure_args: &[Option<&[u8]>]) {}

    /// The compiled Move package this implements, when there is one: genesis then creates its
    /// package object (see the crate's `packages` module). By default none (the framework, test
    /// packages).
    fn compiled(&self) -> Option<&'static floe_chain::floe::packages::CompiledPackage> {
        None
    }
}

/// Reads the current version of any object (the ledger plus earlier transactions of the batch).
pub(crate) type ObjectLookup<'a> = &'a dyn Fn(&Address) -> Option<sui_sdk_types::Object>;

/// What a native function sees of the transaction: its arguments' objects, the sender, dynamic
/// fields, and the means to create objects and emit events.
pub struct MoveCallContext<'a> {
    pub(crate) working_set: &'a mut WorkingSet,
    pub(crate) objects: ObjectLookup<'a>,
    pub(crate) package: Address,
    pub(crate) module: Identifier,
    pub(crate) function: Identifier,
    pub(crate) type_args: Vec<TypeTag>,
}

impl std::fmt::Debug for MoveCallContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoveCallContext")
            .field("package", &self.package)
            .field("module", &self.module)
            .field("function", &self.function)
            .field("type_args", &self.type_args)
            .finish()
    }
}

impl MoveCallContext<'_> {
    /// The transaction's sender (`tx_context::sender`).
    pub fn sender(&self) -> Address {
        self.working_set.sender
    }

    /// The current epoch (`tx_context::epoch`).
    pub fn epoch(&self) -> u64 {
        self.working_set.epoch
    }

    /// The checkpoint timestamp the transaction runs at, in ms (`clock::timestamp_ms`).
    pub fn timestamp_ms(&self) -> u64 {
        self.working_set.timestamp_ms
    }

    /// The called package.
    pub fn package(&self) -> Address {
        self.package
    }

    /// The called module.
    pub fn module(&self) -> &str {
        self.module.as_str()
    }

    /// The called function.
    pub fn function(&self) -> &str {
        self.function.as_str()
    }

    /// The call's type arguments.
    pub fn type_args(&self) -> &[TypeTag] {
        &self.type_args
    }

    /// An abort with `code` located in the called function.
    pub fn abort(&self, code: u64) -> CallError {
        CallError::Abort { module: self.module.clone(), function: self.function.clone(), code, package: None }
    }

    /// Argument `index` as a pure value of type `T`.
    pub fn pure<T: DeserializeOwned>(&self, args: &[Value], index: u16) -> Result<T, CallError> {
        match args.get(index as usize) {
            Some(Value::Pure(bytes)) => bcs::from_bytes(bytes)
                .map_err(|e| CallError::Argument { index, reason: format!("pure value does not decode: {e}") }),
            Some(Value::Object(id)) => Err(arg_error(index, format!("expected a pure value, got object {id}"))),
            Some(Value::Objects(_)) => Err(arg_error(index, "expected a pure value, got a vector of objects".into())),
            None => Err(arg_error(index, "missing".into())),
        }
    }

    /// The id of the object passed as argument `index`.
    pub fn object_id(&self, args: &[Value], index: u16) -> Result<Address, CallError> {
        match args.get(index as usize) {
            Some(Value::Object(id)) if self.working_set.is_live(id) => Ok(*id),
            Some(Value::Object(id)) => Err(arg_error(index, format!("object {id} was already consumed"))),
            Some(Value::Pure(_)) => Err(arg_error(index, "expected an object, got a pure value".into())),
            Some(Value::Objects(_)) => Err(arg_error(index, "expected an object, got a vector of objects".into())),
            None => Err(arg_error(index, "missing".into())),
        }
    }

    /// The objects of a `vector<T>` argument built with `MakeMoveVec`, as single-object values
    /// usable with the other accessors (`&elements, i`).
    pub fn object_vector(&self, args: &[Value], index: u16) -> Result<Vec<Value>, CallError> {
        match args.get(index as usize) {
            Some(Value::Objects(ids)) => {
                if let Some(gone) = ids.iter().find(|id| !self.working_set.is_live(id)) {
                    return Err(arg_error(index, format!("object {gone} was already consumed")));
                }
                Ok(ids.iter().map(|id| Value::Object(*id)).collect())
            }
            _ => Err(arg_error(index, "expected a vector of objects".into())),
        }
    }

    /// The type of the object passed as argument `index`.
    pub fn object_type(&self, args: &[Value], index: u16) -> Result<StructTag, CallError> {
        let id = self.object_id(args, index)?;
        Ok(self.working_set.entry(&id).type_.clone())
    }

    /// Checks that argument `index` is an object of exactly type `expected`.
    pub fn expect_type(&self, args: &[Value], index: u16, expected: &StructTag) -> Result<Address, CallError> {
        let id = self.object_id(args, index)?;
        let actual = &self.working_set.entry(&id).type_;
        if actual != expected {
            return Err(arg_error(index, format!("expected {expected}, got {actual}")));
        }
        Ok(id)
    }

    /// Whether object argument `index` has `store` (may be transferred by anyone).
    pub fn has_store(&self, args: &[Value], index: u16) -> Result<bool, CallError> {
        let id = self.object_id(args, index)?;
        Ok(self.working_set.entry(&id).has_public_transfer)
    }

    /// Decodes the Move struct held by object argument `index`.
    pub fn read<T: DeserializeOwned>(&self, args: &[Value], index: u16) -> Result<T, CallError> {
        let id = self.object_id(args, index)?;
        bcs::from_bytes(&self.working_set.entry(&id).contents)
            .map_err(|e| arg_error(index, format!("object {id} does not decode as expected: {e}")))
    }

    /// Replaces the Move struct held by object argument `index` (a `&mut` argument). The value
    /// must keep the object's id as its first field.
    pub fn write<T: Serialize>(&mut self, args: &[Value], index: u16, value: &T) -> Result<(), CallError> {
        let id = self.object_id(args, index)?;
        let contents = bcs::to_bytes(value).expect("BCS serialization of Move values does not fail");
        if contents.get(..32) != Some(id.as_bytes()) {
            return Err(arg_error(index, format!("new contents of {id} do not start with its id")));
        }
        let entry = self.working_set.entry_mut(&id);
        if !entry.mutable {
            return Err(arg_error(index, format!("object {id} is immutable here")));
        }
        entry.contents = contents;
        Ok(())
    }

    /// A fresh object id, derived from the transaction digest and a counter as Sui does.
    pub fn new_id(&mut self) -> Address {
        self.working_set.fresh_id()
    }

    /// Creates an object from `value`, whose first field must be `id` (from [`Self::new_id`]).
    /// The object is a value of the transaction until it is transferred, shared or frozen.
    pub fn create<T: Serialize>(
        &mut self,
        id: Address,
        object_type: StructTag,
        has_public_transfer: bool,
        value: &T,
    ) -> Result<Value, CallError> {
        let contents = bcs::to_bytes(value).expect("BCS serialization of Move values does not fail");
        if contents.get(..32) != Some(id.as_bytes()) {
            return Err(CallError::Argument {
                index: 0,
                reason: format!("new {object_type} does not start with its id {id}"),
            });
        }
        self.working_set.create(id, object_type, has_public_transfer, contents);
        Ok(Value::Object(id))
    }

    /// Transfers object argument `index` to `recipient` (`transfer::transfer`).
    pub fn transfer(&mut self, args: &[Value], index: u16, recipient: Address) -> Result<(), CallError> {
        self.set_owner(args, index, Owner::Address(recipient))
    }

    /// Makes object argument `index` a shared object (`transfer::share_object`).
    pub fn share(&mut self, args: &[Value], index: u16) -> Result<(), CallError> {
        let id = self.object_id(args, index)?;
        if self.working_set.entry(&id).before.is_some() {
            return Err(arg_error(index, format!("only new objects can be shared, {id} exists")));
        }
        // The initial shared version is the version the transaction writes.
        self.set_owner(args, index, Owner::Shared(0))
    }

    /// Makes object argument `index` immutable (`transfer::freeze_object`).
    pub fn freeze(&mut self, args: &[Value], index: u16) -> Result<(), CallError> {
        self.set_owner(args, index, Owner::Immutable)
    }

    /// Deletes object argument `index` (`object::delete` on its UID).
    pub fn delete(&mut self, args: &[Value], index: u16) -> Result<(), CallError> {
        let id = self.object_id(args, index)?;
        let entry = self.working_set.entry_mut(&id);
        if !entry.mutable {
            return Err(arg_error(index, format!("object {id} cannot be deleted here")));
        }
        entry.deleted = true;
        Ok(())
    }

    /// Wraps object argument `index` into another object: it leaves the store as an object
    /// (its data lives on inside the wrapper, which the native writes itself).
    pub fn wrap(&mut self, args: &[Value], index: u16) -> Result<(), CallError> {
        self.delete(args, index)?;
        let id = self.object_id_unchecked(args, index);
        self.working_set.entry_mut(&id).wrapped = true;
        Ok(())
    }

    /// Brings a previously wrapped object back as an object with its old `id` (e.g. storage
    /// taken out of a deleted blob). Like [`Self::create`], it must then be placed.
    pub fn unwrap_object<T: Serialize>(
        &mut self,
        id: Address,
        object_type: StructTag,
        has_public_transfer: bool,
        value: &T,
    ) -> Result<Value, CallError> {
        let created = self.create(id, object_type, has_public_transfer, value)?;
        self.working_set.entry_mut(&id).unwrapped = true;
        Ok(created)
    }

    fn object_id_unchecked(&self, args: &[Value], index: u16) -> Address {
        match &args[index as usize] {
            Value::Object(id) => *id,
            Value::Pure(_) | Value::Objects(_) => unreachable!("checked by the caller"),
        }
    }

    /// Emits an event of type `event_type` with the BCS of `value`.
    pub fn emit<T: Serialize>(&mut self, event_type: StructTag, value: &T) {
        let contents = bcs::to_bytes(value).expect("BCS serialization of Move values does not fail");
        let event = sui_sdk_types::Event {
            package_id: self.package,
            module: self.module.clone(),
            sender: self.working_set.sender,
            type_: event_type,
            contents,
        };
        self.working_set.events.push(event);
    }

    fn set_owner(&mut self, args: &[Value], index: u16, owner: Owner) -> Result<(), CallError> {
        let id = self.object_id(args, index)?;
        let entry = self.working_set.entry_mut(&id);
        if !entry.mutable {
            return Err(arg_error(index, format!("object {id} cannot change owner here")));
        }
        entry.owner = Some(owner);
        Ok(())
    }
}

/// An abort located in `module::function` of the called package, as Sui reports a Move abort:
/// the module and function that executed the `abort`, not necessarily the ones called.
pub(crate) fn abort_in(module: &'static str, function: &'static str, code: u64) -> CallError {
    CallError::Abort {
        module: Identifier::from_static(module),
        function: Identifier::from_static(function),
        code,
        package: None,
    }
}

pub(crate) fn arg_error(index: u16, reason: String) -> CallError {
    CallError::Argument { index, reason }
}
