/// Key ids of Seal-style policies: the inner id (without the package prefix) starts with the
/// bytes of the object or address the policy is about, and may go on with a caller-chosen nonce.
module floe_seal::identity;

/// Whether `id` starts with `prefix`.
public fun has_prefix(id: &vector<u8>, prefix: &vector<u8>): bool {
    let n = prefix.length();
    if (id.length() < n) return false;
    let mut i = 0;
    while (i < n) {
        if (id[i] != prefix[i]) return false;
        i = i + 1;
    };
    true
}
