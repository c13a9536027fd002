//! The filters of `ListTransactions` and `ListEvents`: disjunctions of terms, each a conjunction
//! of predicates that may be negated, read from the request once and then checked against the
//! ledger's records. A present filter must have at least one term and every term at least one
//! literal; a malformed predicate is INVALID_ARGUMENT naming it.

use std::str::FromStr;

use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::{Address, Command, Event, Identifier, StructTag, TransactionEffects, TransactionKind};
use tonic::Status;

use crate::store::TransactionRecord;

use proto::event_literal::Predicate as EventPredicate;
use proto::transaction_literal::Predicate as TransactionPredicate;

/// A filter in disjunctive normal form: it matches when any term does, and a term matches when
/// each of its literals does (a negated literal when its predicate does not).
#[derive(Debug, Clone)]
pub(crate) struct Dnf<P> {
    terms: Vec<Vec<(bool, P)>>,
}

impl<P> Dnf<P> {
    /// Whether the filter matches, `holds` saying whether a predicate does.
    pub(crate) fn matches(&self, mut holds: impl FnMut(&P) -> bool) -> bool {
        self.terms.iter().any(|term| term.iter().all(|(negated, p)| holds(p) != *negated))
    }
}

fn dnf<L, P>(
    what: &str,
    terms: &[Vec<L>],
    literal: impl Fn(&L) -> Result<(bool, P), Status>,
) -> Result<Dnf<P>, Status> {
    if terms.is_empty() {
        return Err(Status::invalid_argument(format!("{what} has no terms (leave the filter out to match all)")));
    }
    let terms = terms
        .iter()
        .enumerate()
        .map(|(i, literals)| {
            if literals.is_empty() {
                return Err(Status::invalid_argument(format!("{what} term {i} has no literals")));
            }
            literals.iter().map(&literal).collect::<Result<Vec<_>, Status>>()
        })
        .collect::<Result<Vec<_>, Status>>()?;
    Ok(Dnf { terms })
}

fn address(field: &str, value: Option<&String>) -> Result<Address, Status> {
    let text = value.filter(|v| !v.is_empty()).ok_or_else(|| Status::invalid_argument(format!("missing {field}")))?;
    Address::from_str(text).map_err(|e| Status::invalid_argument(format!("invalid {field} {text:?}: {e}")))
}

fn identifier(field: &str, text: &str) -> Result<Identifier, Status> {
    Identifier::new(text).map_err(|e| Status::invalid_argument(format!("invalid {field} {text:?}: {e}")))
}

/// `package[::module[::name]]`, the shape of Move call and event type filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MovePath {
    package: Address,
    module: Option<Identifier>,
    name: Option<Identifier>,
}

impl MovePath {
    fn parse(field: &str, value: Option<&String>, max_parts: usize) -> Result<Self, Status> {
        let text =
            value.filter(|v| !v.is_empty()).ok_or_else(|| Status::invalid_argument(format!("missing {field}")))?;
        let parts: Vec<&str> = text.split("::").collect();
        if parts.len() > max_parts {
            return Err(Status::invalid_argument(format!("invalid {field} {text:?}: more than {max_parts} parts")));
        }
        let package = address(field, Some(&parts[0].to_owned()))?;
        let module = parts.get(1).map(|m| identifier(field, m)).transpose()?;
        let name = parts.get(2).map(|n| identifier(field, n)).transpose()?;
        Ok(Self { package, module, name })
    }

    fn matches(&self, package: &Address, module: &Identifier, name: &Identifier) -> bool {
        self.package == *package
            && self.module.as_ref().is_none_or(|m| m == module)
            && self.name.as_ref().is_none_or(|n| n == name)
    }
}

/// An event type filter: a path (`address[::module[::Name]]`, any instantiation) or, when it
/// names type parameters, one exact type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EventTypePattern {
    Path(MovePath),
    Exact(StructTag),
}

impl EventTypePattern {
    fn parse(value: Option<&String>) -> Result<Self, Status> {
        const FIELD: &str = "event_type";
        match value {
            Some(text) if text.contains('<') => StructTag::from_str(text)
                .map(Self::Exact)
                .map_err(|e| Status::invalid_argument(format!("invalid {FIELD} {text:?}: {e}"))),
            _ => MovePath::parse(FIELD, value, 3).map(Self::Path),
        }
    }

    fn matches(&self, ty: &StructTag) -> bool {
        match self {
            Self::Exact(tag) => tag == ty,
            Self::Path(path) => path.matches(ty.address(), ty.module(), ty.name()),
        }
    }
}

/// What a transaction literal asks.
#[derive(Debug, Clone)]
pub(crate) enum TransactionTest {
    Sender(Address),
    AffectedAddress(Address),
    AffectedObject(Address),
    MoveCall(MovePath),
    EmitModule(MovePath),
    EventType(EventTypePattern),
    /// The devnet has no authenticated event streams: no transaction writes one.
    EventStreamHead,
    /// A Publish or Upgrade command.
    PackageWrite,
}

/// What an event literal asks.
#[derive(Debug, Clone)]
pub(crate) enum EventTest {
    Sender(Address),
    EmitModule(MovePath),
    EventType(EventTypePattern),
    /// The devnet has no authenticated event streams: no event is committed to one.
    EventStreamHead,
}

fn emit_module(value: Option<&String>) -> Result<MovePath, Status> {
    MovePath::parse("emit_module.module", value, 2)
}

/// A `ListTransactions` filter.
pub(crate) fn transaction_filter(filter: &proto::TransactionFilter) -> Result<Dnf<TransactionTest>, Status> {
    let terms: Vec<Vec<proto::TransactionLiteral>> = filter.terms.iter().map(|t| t.literals.clone()).collect();
    dnf("filter", &terms, |literal| {
        let test = match &literal.predicate {
            Some(TransactionPredicate::Sender(s)) => {
                TransactionTest::Sender(address("sender.address", s.address.as_ref())?)
            }
            Some(TransactionPredicate::AffectedAddress(a)) => {
                TransactionTest::AffectedAddress(address("affected_address.address", a.address.as_ref())?)
            }
            Some(TransactionPredicate::AffectedObject(o)) => {
                TransactionTest::AffectedObject(address("affected_object.object_id", o.object_id.as_ref())?)
            }
            Some(TransactionPredicate::MoveCall(m)) => {
                TransactionTest::MoveCall(MovePath::parse("move_call.function", m.function.as_ref(), 3)?)
            }
            Some(TransactionPredicate::EmitModule(m)) => TransactionTest::EmitModule(emit_module(m.module.as_ref())?),
            Some(TransactionPredicate::EventType(t)) => {
                TransactionTest::EventType(EventTypePattern::parse(t.event_type.as_ref())?)
            }
            Some(TransactionPredicate::EventStreamHead(_)) => TransactionTest::EventStreamHead,
            Some(TransactionPredicate::PackageWrite(_)) => TransactionTest::PackageWrite,
            None | Some(_) => {
                return Err(Status::invalid_argument("a filter literal has no predicate the devnet knows"));
            }
        };
        Ok((literal.negated, test))
    })
}

/// A `ListEvents` filter.
pub(crate) fn event_filter(filter: &proto::EventFilter) -> Result<Dnf<EventTest>, Status> {
    let terms: Vec<Vec<proto::EventLiteral>> = filter.terms.iter().map(|t| t.literals.clone()).collect();
    dnf("filter", &terms, |literal| {
        let test = match &literal.predicate {
            Some(EventPredicate::Sender(s)) => EventTest::Sender(address("sender.address", s.address.as_ref())?),
            Some(EventPredicate::EmitModule(m)) => EventTest::EmitModule(emit_module(m.module.as_ref())?),
            Some(EventPredicate::EventType(t)) => EventTest::EventType(EventTypePattern::parse(t.event_type.as_ref())?),
            Some(EventPredicate::EventStreamHead(_)) => EventTest::EventStreamHead,
            None | Some(_) => {
                return Err(Status::invalid_argument("a filter literal has no predicate the devnet knows"));
            }
        };
        Ok((literal.negated, test))
    })
}

fn emitted_by(event: &Event, path: &MovePath) -> bool {
    path.package == event.package_id && path.module.as_ref().is_none_or(|m| *m == event.module)
}

/// Whether `record` passes `test`.
pub(crate) fn transaction_passes(record: &TransactionRecord, test: &TransactionTest) -> bool {
    let commands = match &record.transaction.kind {
        TransactionKind::ProgrammableTransaction(ptb) => ptb.commands.as_slice(),
        _ => &[],
    };
    match test {
        TransactionTest::Sender(sender) => record.transaction.sender == *sender,
        TransactionTest::AffectedAddress(address) => record
            .input_objects
            .iter()
            .chain(&record.output_objects)
            .any(|o| matches!(o.owner(), sui_sdk_types::Owner::Address(a) | sui_sdk_types::Owner::ConsensusAddress { owner: a, .. } if a == address)),
        TransactionTest::AffectedObject(id) => match &record.effects {
            TransactionEffects::V2(effects) => effects.changed_objects.iter().any(|c| c.object_id == *id),
            TransactionEffects::V1(_) => {
                record.input_objects.iter().chain(&record.output_objects).any(|o| o.object_id() == *id)
            }
        },
        TransactionTest::MoveCall(path) => commands.iter().any(|c| match c {
            Command::MoveCall(call) => path.matches(&call.package, &call.module, &call.function),
            _ => false,
        }),
        TransactionTest::EmitModule(path) => record.events.0.iter().any(|e| emitted_by(e, path)),
        TransactionTest::EventType(pattern) => record.events.0.iter().any(|e| pattern.matches(&e.type_)),
        TransactionTest::EventStreamHead => false,
        TransactionTest::PackageWrite => commands.iter().any(|c| matches!(c, Command::Publish(_) | Command::Upgrade(_))),
    }
}

/// Whether `event` of `record` passes `test`.
pub(crate) fn event_passes(record: &TransactionRecord, event: &Event, test: &EventTest) -> bool {
    match test {
        EventTest::Sender(sender) => record.transaction.sender == *sender,
        EventTest::EmitModule(path) => emitted_by(event, path),
        EventTest::EventType(pattern) => pattern.matches(&event.type_),
        EventTest::EventStreamHead => false,
    }
}
