//! The reader against a hand-assembled module covering every table it reads.

use super::binary::{MAGIC, SUI_FLAVOR, table};
use super::*;

/// A hand-assembled module `0x0::m` with `struct S<phantom T: store> has key, store { id: u64,
/// v: vector<T> }`, `enum E has drop { A { x: bool }, B }` and
/// `public entry fun f<T: copy>(s: &mut S<T>, n: u8): u256 { abort 0 }` (code: LdU64 0, Abort).
fn sample() -> Vec<u8> {
    fn uleb(out: &mut Vec<u8>, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    let ident = |names: &[&str]| {
        let mut t = Vec::new();
        for n in names {
            uleb(&mut t, n.len() as u64);
            t.extend_from_slice(n.as_bytes());
        }
        t
    };
    // identifiers: 0 m, 1 S, 2 id, 3 v, 4 E, 5 A, 6 x, 7 B, 8 f
    let identifiers = ident(&["m", "S", "id", "v", "E", "A", "x", "B", "f"]);
    let addresses = vec![0u8; 32];
    let module_handles = vec![0, 0];
    // S: module 0, name 1, key|store, one param: store, phantom
    // E: module 0, name 4, drop, no params
    let datatype_handles = vec![0, 1, 0x0C, 1, 0x04, 1, 0, 4, 0x02, 0];
    // signatures: 0 [&mut S<T0>, u8], 1 [u256], 2 []
    let signatures = vec![2, 0x7, 0xB, 0, 1, 0x9, 0, 0x2, 1, 0xF, 0];
    // f: module 0, name 8, params sig 0, returns sig 1, one type param: copy
    let function_handles = vec![0, 8, 0, 1, 1, 0x1];
    // S declared: handle 0, two fields id: u64, v: vector<T0>
    let struct_defs = vec![0, 0x2, 2, 2, 0x3, 3, 0xA, 0x9, 0];
    // E: handle 1, declared, variants A { x: bool }, B {}
    let enum_defs = vec![1, 0x2, 2, 5, 1, 6, 0x1, 7, 0];
    // f: handle 0, public, entry, no acquires, locals sig 2, 2 instructions, no jump tables
    let mut function_defs = vec![0, 0x1, 0x4, 0, 2, 2, 0x06];
    function_defs.extend_from_slice(&0u64.to_le_bytes());
    function_defs.extend_from_slice(&[0x27, 0]);
    let tables: Vec<(u8, Vec<u8>)> = vec![
        (table::MODULE_HANDLES, module_handles),
        (table::DATATYPE_HANDLES, datatype_handles),
        (table::FUNCTION_HANDLES, function_handles),
        (table::SIGNATURES, signatures),
        (table::IDENTIFIERS, identifiers),
        (table::ADDRESS_IDENTIFIERS, addresses),
        (table::STRUCT_DEFS, struct_defs),
        (table::ENUM_DEFS, enum_defs),
        // Last, so that the tests know where f's code ends.
        (table::FUNCTION_DEFS, function_defs),
    ];
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&(SUI_FLAVOR << 24 | 7).to_le_bytes());
    uleb(&mut out, tables.len() as u64);
    let mut offset = 0;
    for (kind, t) in &tables {
        out.push(*kind);
        uleb(&mut out, offset);
        uleb(&mut out, t.len() as u64);
        offset += t.len() as u64;
    }
    for (_, t) in &tables {
        out.extend_from_slice(t);
    }
    out.push(0); // self module handle
    out
}

#[test]
fn reads_datatypes_and_functions() {
    let m = read_module(&sample()).unwrap();
    assert_eq!((m.address, m.name.as_str()), (Address::ZERO, "m"));
    let s = m.datatype("S").unwrap();
    assert!(s.abilities.has(AbilitySet::KEY | AbilitySet::STORE) && !s.abilities.has(AbilitySet::DROP));
    assert_eq!(s.type_parameters, vec![DatatypeTypeParameter { constraints: AbilitySet(0x4), is_phantom: true }]);
    assert_eq!(
        s.body,
        DatatypeBody::Struct(vec![
            Field { name: "id".into(), ty: SignatureType::U64 },
            Field { name: "v".into(), ty: SignatureType::Vector(Box::new(SignatureType::TypeParameter(0))) },
        ])
    );
    let e = m.datatype("E").unwrap();
    assert_eq!(
        e.body,
        DatatypeBody::Enum(vec![
            Variant { name: "A".into(), fields: vec![Field { name: "x".into(), ty: SignatureType::Bool }] },
            Variant { name: "B".into(), fields: vec![] },
        ])
    );
    let f = m.function("f").unwrap();
    assert_eq!((f.visibility, f.is_entry), (Visibility::Public, true));
    assert_eq!(f.type_parameters, vec![AbilitySet(AbilitySet::COPY)]);
    let s_of_t = SignatureType::Datatype {
        address: Address::ZERO,
        module: "m".into(),
        name: "S".into(),
        type_arguments: vec![SignatureType::TypeParameter(0)],
    };
    assert_eq!(f.parameters, vec![SignatureType::MutableReference(Box::new(s_of_t)), SignatureType::U8]);
    assert_eq!(f.returns, vec![SignatureType::U256]);
}

#[test]
fn substitutes_the_own_address() {
    let to = Address::from_static("0xf1");
    let rewritten = substitute_address(&sample(), Address::ZERO, to).unwrap();
    assert_eq!(rewritten.len(), sample().len());
    let m = read_module(&rewritten).unwrap();
    assert_eq!(m.address, to);
    let SignatureType::MutableReference(inner) = &m.function("f").unwrap().parameters[0] else { panic!() };
    assert!(matches!(&**inner, SignatureType::Datatype { address, .. } if *address == to));
    assert_eq!(substitute_address(&sample(), Address::TWO, to), Err(BytecodeError::AddressNotFound(Address::TWO)));
}

#[test]
fn rejects_malformed_modules() {
    assert_eq!(read_module(b"not move"), Err(BytecodeError::BadMagic));
    let mut wrong_flavor = sample();
    wrong_flavor[7] = 0x01;
    assert!(matches!(read_module(&wrong_flavor), Err(BytecodeError::UnsupportedVersion { version: 7, flavor: 1 })));
    let bytes = sample();
    assert_eq!(read_module(&bytes[..bytes.len() - 20]), Err(BytecodeError::BadTables));
    let mut bad_opcode = sample();
    let at = bad_opcode.len() - 3; // the Abort opcode of f
    assert_eq!(bad_opcode[at], 0x27);
    bad_opcode[at] = 0xFF;
    assert!(matches!(read_module(&bad_opcode), Err(BytecodeError::Unexpected { what: "opcode", value: 0xFF, .. })));
}
