//! `ListDynamicFields`: the dynamic fields under a parent object, as a full node lists them.
//!
//! A field is an object `0x2::dynamic_field::Field<N, V> { id, name, value }` owned by the
//! parent; a dynamic *object* field is a `Field<Wrapper<N>, ID>` whose value names the child
//! object. The name and value are split without knowing their layouts: the field's id is derived
//! from the parent, the name's type and the name's BCS, so the one prefix of the contents after
//! the id whose derivation gives the field's id is the name, and the rest is the value.

use sui_rpc::field::FieldMaskTree;
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::{Address, Object, StructTag, TypeTag};

use crate::move_json::JsonRenderer;

/// One dynamic field of `parent`, or `None` if `object` is not a well-formed field of it.
pub(crate) fn dynamic_field(
    parent: Address,
    object: &Object,
    mask: &FieldMaskTree,
    json: &mut JsonRenderer<'_>,
) -> Option<proto::DynamicField> {
    let sui_sdk_types::ObjectData::Struct(field) = object.data() else {
        return None;
    };
    let field_type = field.object_type();
    let [name_type, value_type] = field_type.type_params() else {
        return None;
    };
    if !is_field(field_type) {
        return None;
    }
    let (name, value) = split(parent, object.object_id(), field.contents(), name_type)?;
    let kind = match name_type {
        // A dynamic object field: the name is inside the wrapper, the value is the child's id.
        TypeTag::Struct(wrapper) if is_wrapper(wrapper) => {
            let inner = wrapper.type_params().first()?;
            Field { name_type: inner, name, value_type, value, child: Some(Address::from_bytes(value).ok()?) }
        }
        _ => Field { name_type, name, value_type, value, child: None },
    };
    Some(message(parent, object, &kind, mask, json))
}

/// A field's parts.
struct Field<'a> {
    name_type: &'a TypeTag,
    name: &'a [u8],
    value_type: &'a TypeTag,
    value: &'a [u8],
    /// For a dynamic object field, the child object.
    child: Option<Address>,
}

fn is_field(tag: &StructTag) -> bool {
    tag.address() == &Address::TWO && tag.module().as_str() == "dynamic_field" && tag.name().as_str() == "Field"
}

fn is_wrapper(tag: &StructTag) -> bool {
    tag.address() == &Address::TWO
        && tag.module().as_str() == "dynamic_object_field"
        && tag.name().as_str() == "Wrapper"
}

/// The (name, value) BCS of a field's contents `id ‖ name ‖ value`.
fn split<'a>(parent: Address, id: Address, contents: &'a [u8], name_type: &TypeTag) -> Option<(&'a [u8], &'a [u8])> {
    let rest = contents.get(Address::LENGTH..)?;
    (1..=rest.len()).map(|n| rest.split_at(n)).find(|(name, _)| parent.derive_dynamic_child_id(name_type, name) == id)
}

fn message(
    parent: Address,
    object: &Object,
    field: &Field<'_>,
    mask: &FieldMaskTree,
    json: &mut JsonRenderer<'_>,
) -> proto::DynamicField {
    use proto::dynamic_field::DynamicFieldKind;
    let bcs = |name: String, value: &[u8]| {
        let mut bcs = proto::Bcs::default();
        bcs.name = Some(name);
        bcs.value = Some(value.to_vec().into());
        bcs
    };
    let mut full = proto::DynamicField::default();
    full.set_kind(if field.child.is_some() { DynamicFieldKind::Object } else { DynamicFieldKind::Field });
    full.parent = Some(parent.to_string());
    full.field_id = Some(object.object_id().to_string());
    full.name = Some(bcs(field.name_type.to_string(), field.name));
    full.value = Some(bcs(field.value_type.to_string(), field.value));
    full.value_type = Some(field.value_type.to_string());
    full.child_id = field.child.map(|c| c.to_string());
    if let Some(submask) = mask.subtree(proto::DynamicField::FIELD_OBJECT_FIELD.name) {
        full.field_object = Some(crate::render::object(object, &submask, json));
    }
    let mut projected = proto::DynamicField::default();
    let keep = |path: &str| mask.contains(path);
    if keep(proto::DynamicField::KIND_FIELD.name) {
        projected.kind = full.kind;
    }
    if keep(proto::DynamicField::PARENT_FIELD.name) {
        projected.parent = full.parent;
    }
    if keep(proto::DynamicField::FIELD_ID_FIELD.name) {
        projected.field_id = full.field_id;
    }
    if keep(proto::DynamicField::NAME_FIELD.name) {
        projected.name = full.name;
    }
    if keep(proto::DynamicField::VALUE_FIELD.name) {
        projected.value = full.value;
    }
    if keep(proto::DynamicField::VALUE_TYPE_FIELD.name) {
        projected.value_type = full.value_type;
    }
    if keep(proto::DynamicField::CHILD_ID_FIELD.name) {
        projected.child_id = full.child_id;
    }
    projected.field_object = full.field_object;
    projected
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::{Digest, MoveStruct, ObjectData, Owner};

    use super::*;
    use crate::dynamic_field::{Field as FieldValue, field_id, field_type};

    #[test]
    fn a_field_splits_into_its_name_and_value_by_its_id() {
        let parent = Address::from_static("0xb10b");
        let name_type = TypeTag::Vector(Box::new(TypeTag::U8));
        let name = b"attributes".to_vec();
        let id = field_id(parent, &name_type, &name);
        let contents = bcs::to_bytes(&FieldValue { id, name: name.clone(), value: 7u64 }).unwrap();
        let data = MoveStruct::new(field_type(name_type, TypeTag::U64), false, 3, contents).unwrap();
        let object = Object::new(ObjectData::Struct(data), Owner::Object(parent), Digest::ZERO, 0);

        let listed =
            dynamic_field(parent, &object, &FieldMaskTree::new_wildcard(), &mut JsonRenderer::framework_only())
                .unwrap();
        assert_eq!(listed.kind(), proto::dynamic_field::DynamicFieldKind::Field);
        assert_eq!(listed.field_id, Some(id.to_string()));
        let listed_name = listed.name.unwrap();
        assert_eq!(listed_name.name.as_deref(), Some("vector<u8>"));
        assert_eq!(listed_name.value.unwrap().to_vec(), bcs::to_bytes(&name).unwrap());
        assert_eq!(listed.value.unwrap().value.unwrap().to_vec(), 7u64.to_le_bytes());
        assert_eq!(listed.value_type.as_deref(), Some("u64"));
        assert_eq!(
            dynamic_field(
                Address::from_static("0x0de"),
                &object,
                &FieldMaskTree::new_wildcard(),
                &mut JsonRenderer::framework_only()
            ),
            None
        );
    }
}
