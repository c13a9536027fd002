//! `GetCoinInfo`: a coin type's metadata, as `coin::create_currency` recorded it when the coin's
//! package was published. The devnet knows two currencies: SUI (the framework's) and WAL, whose
//! metadata are the values `move/wal/sources/wal.move`'s `init` passes to `create_currency`.
//! Other coin types are unknown (NotFound), as on a node that never saw their metadata.

use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::StructTag;

/// A currency's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Currency {
    pub decimals: u32,
    pub symbol: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub icon_url: Option<&'static str>,
}

/// SUI, as the framework creates it.
pub(crate) const SUI: Currency = Currency { decimals: 9, symbol: "SUI", name: "Sui", description: "", icon_url: None };

/// WAL, as `wal::wal::init` creates it.
pub(crate) const WAL: Currency = Currency {
    decimals: 9,
    symbol: "WAL",
    name: "WAL Token",
    description: "The native token of floe, a decentralized blob store on Sui.",
    icon_url: Some("https://floe.invalid/wal.svg"),
};

/// The metadata of `coin_type` (the `T` of `Coin<T>`), if the devnet knows the currency.
pub(crate) fn currency(coin_type: &StructTag) -> Option<Currency> {
    let sui = StructTag::sui();
    let wal = floe_chain::floe::wal::wal_type(&crate::floe::deployment_packages());
    [(sui, SUI), (wal, WAL)].into_iter().find(|(tag, _)| tag == coin_type).map(|(_, currency)| currency)
}

/// The `GetCoinInfo` answer for a known currency.
pub(crate) fn coin_info(coin_type: &StructTag, currency: Currency) -> proto::GetCoinInfoResponse {
    let mut metadata = proto::CoinMetadata::default();
    metadata.decimals = Some(currency.decimals);
    metadata.symbol = Some(currency.symbol.to_owned());
    metadata.name = Some(currency.name.to_owned());
    metadata.description = Some(currency.description.to_owned());
    metadata.icon_url = currency.icon_url.map(str::to_owned);
    let mut response = proto::GetCoinInfoResponse::default();
    response.coin_type = Some(coin_type.to_string());
    response.metadata = Some(metadata);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sui_and_wal_are_known_and_other_coins_are_not() {
        assert_eq!(currency(&StructTag::sui()), Some(SUI));
        let wal: StructTag = "0xa1::wal::WAL".parse().unwrap();
        assert_eq!(currency(&wal).map(|c| c.symbol), Some("WAL"));
        let other: StructTag = "0xa1::wal::NOT_WAL".parse().unwrap();
        assert_eq!(currency(&other), None);
        let info = coin_info(&wal, WAL);
        assert_eq!(info.metadata.unwrap().decimals, Some(9));
    }
}
