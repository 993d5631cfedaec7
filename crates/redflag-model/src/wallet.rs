use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sha3::Keccak256;

use crate::ModelError;

/// The chain (address format) of a crypto wallet.
///
/// Tokens are identified by the chain their address lives on: OFAC's "USDT" addresses are either Tron
/// (`T…`) or Ethereum (`0x…`) addresses, and are stored as such.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chain {
    /// Bitcoin mainnet: base58check P2PKH/P2SH or bech32/bech32m segwit (`bc1…`).
    Bitcoin,
    /// Ethereum and every EVM chain sharing its address format (BSC, Arbitrum, Polygon, …).
    Evm,
    /// Tron: base58check with version byte 0x41 (`T…`).
    Tron,
    /// Litecoin: base58check (`L…`, `M…`) or bech32 (`ltc1…`).
    Litecoin,
    /// Any other chain, named by its currency code as the source gave it (e.g. `XMR`, `ZEC`).
    Other(String),
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Chain::Bitcoin => f.write_str("bitcoin"),
            Chain::Evm => f.write_str("evm"),
            Chain::Tron => f.write_str("tron"),
            Chain::Litecoin => f.write_str("litecoin"),
            Chain::Other(code) => write!(f, "other:{code}"),
        }
    }
}

/// A validated crypto wallet address with its chain.
///
/// The canonical `address` is what equality compares: EVM addresses are lower-cased (their case is only a
/// checksum), every other format is case-sensitive and kept as given.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CryptoWallet {
    /// The chain the address belongs to.
    pub chain: Chain,
    /// The canonical address.
    pub address: String,
}

impl CryptoWallet {
    /// Parses an address, detecting its chain from its shape.
    ///
    /// A mixed-case EVM address must carry a valid EIP-55 checksum; base58check and bech32 addresses must
    /// have valid checksums.
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        Self::parse_with_hint(input, None)
    }

    /// Parses an address; `currency` is the currency code a source gave with it (OFAC's `XBT`, `ETH`,
    /// `USDT`, `XMR`, …). Known address shapes win over the hint; the hint names the chain of shapes this
    /// crate does not validate.
    pub fn parse_with_hint(input: &str, currency: Option<&str>) -> Result<Self, ModelError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(ModelError::Empty { field: "wallet" });
        }
        if value.chars().any(char::is_whitespace) {
            return Err(invalid("unknown", value, "contains white space"));
        }
        let lower = value.to_ascii_lowercase();
        if lower.starts_with("0x") && value.len() == 42 {
            return parse_evm(value);
        }
        if lower.starts_with("bc1") {
            return parse_segwit(value, "bc", Chain::Bitcoin);
        }
        if lower.starts_with("ltc1") {
            return parse_segwit(value, "ltc", Chain::Litecoin);
        }
        let hint = currency.map(|c| c.trim().to_ascii_uppercase());
        match value.as_bytes()[0] {
            b'1' | b'3' if matches!(hint.as_deref(), None | Some("XBT" | "BTC")) => {
                parse_base58(value, &[0x00, 0x05], Chain::Bitcoin)
            }
            b'T' if matches!(hint.as_deref(), None | Some("TRX" | "USDT" | "USDC")) => {
                parse_base58(value, &[0x41], Chain::Tron)
            }
            b'L' | b'M' if matches!(hint.as_deref(), None | Some("LTC")) => {
                parse_base58(value, &[0x30, 0x32], Chain::Litecoin)
            }
            _ => match hint {
                Some(code) if !code.is_empty() => parse_other(value, code),
                _ => Err(invalid(
                    "unknown",
                    value,
                    "not a recognised wallet address format",
                )),
            },
        }
    }

    /// The EIP-55 mixed-case form for EVM addresses, the canonical address otherwise.
    pub fn display_form(&self) -> String {
        match self.chain {
            Chain::Evm => eip55_checksum(&self.address[2..]),
            _ => self.address.clone(),
        }
    }
}

impl fmt::Display for CryptoWallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

fn invalid(chain: &str, value: &str, reason: impl Into<String>) -> ModelError {
    ModelError::InvalidWallet {
        chain: chain.to_string(),
        value: value.to_string(),
        reason: reason.into(),
    }
}

fn parse_evm(value: &str) -> Result<CryptoWallet, ModelError> {
    let hex_part = &value[2..];
    if !hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("evm", value, "not 40 hexadecimal digits after 0x"));
    }
    let has_lower = hex_part.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = hex_part.bytes().any(|b| b.is_ascii_uppercase());
    // All-lower or all-upper addresses carry no checksum; mixed case must be a correct EIP-55 checksum.
    if has_lower
        && has_upper
        && eip55_checksum(hex_part) != value[..2].to_ascii_lowercase() + hex_part
    {
        return Err(invalid("evm", value, "wrong EIP-55 checksum"));
    }
    Ok(CryptoWallet {
        chain: Chain::Evm,
        address: format!("0x{}", hex_part.to_ascii_lowercase()),
    })
}

/// The EIP-55 form of a 40-digit hex address (without prefix), returned with `0x`.
fn eip55_checksum(hex_part: &str) -> String {
    let lower = hex_part.to_ascii_lowercase();
    let hash = Keccak256::digest(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let byte = hash[i / 2];
        let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
        if c.is_ascii_alphabetic() && nibble >= 8 {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_segwit(value: &str, expected_hrp: &str, chain: Chain) -> Result<CryptoWallet, ModelError> {
    let name = chain.to_string();
    let has_lower = value.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = value.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        return Err(invalid(
            &name,
            value,
            "bech32 addresses must not mix upper and lower case",
        ));
    }
    let (hrp, _version, _program) = bech32::segwit::decode(value)
        .map_err(|e| invalid(&name, value, format!("bad bech32 segwit address: {e}")))?;
    if !hrp.as_str().eq_ignore_ascii_case(expected_hrp) {
        return Err(invalid(
            &name,
            value,
            format!("human-readable part {hrp} is not {expected_hrp}"),
        ));
    }
    Ok(CryptoWallet {
        chain,
        address: value.to_ascii_lowercase(),
    })
}

fn parse_base58(value: &str, versions: &[u8], chain: Chain) -> Result<CryptoWallet, ModelError> {
    let name = chain.to_string();
    let decoded = bs58::decode(value)
        .into_vec()
        .map_err(|e| invalid(&name, value, format!("not base58: {e}")))?;
    if decoded.len() != 25 {
        return Err(invalid(
            &name,
            value,
            format!("decodes to {} bytes, expected 25", decoded.len()),
        ));
    }
    let (payload, checksum) = decoded.split_at(21);
    let digest = Sha256::digest(Sha256::digest(payload));
    if &digest[..4] != checksum {
        return Err(invalid(&name, value, "wrong base58check checksum"));
    }
    if !versions.contains(&payload[0]) {
        return Err(invalid(
            &name,
            value,
            format!(
                "version byte 0x{:02x} is not one of this chain's",
                payload[0]
            ),
        ));
    }
    Ok(CryptoWallet {
        chain,
        address: value.to_string(),
    })
}

fn parse_other(value: &str, code: String) -> Result<CryptoWallet, ModelError> {
    if !(20..=128).contains(&value.len())
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b':')
    {
        return Err(invalid(
            &code,
            value,
            "expected 20 to 128 letters and digits",
        ));
    }
    Ok(CryptoWallet {
        chain: Chain::Other(code),
        address: value.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<(&str, Chain), &str>) {
        let got = CryptoWallet::parse(input);
        match (got, expect) {
            (Ok(w), Ok((address, chain))) => {
                assert_eq!(w.address, address, "{input}");
                assert_eq!(w.chain, chain, "{input}");
            }
            (Err(e), Err(fragment)) => assert!(e.to_string().contains(fragment), "{input}: {e}"),
            (got, expect) => panic!("{input}: got {got:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn evm_addresses() {
        // Sim Hyon Sop's listed address (OFAC SDN, 2023), lower case: no checksum to verify.
        check(
            "0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c",
            Ok(("0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c", Chain::Evm)),
        );
        // EIP-55 test vector from the EIP.
        check(
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            Ok(("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", Chain::Evm)),
        );
        check(
            "0x5aAeb6053f3E94C9b9A09f33669435E7Ef1BeAed",
            Err("wrong EIP-55 checksum"),
        );
        check(
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeZ",
            Err("hexadecimal"),
        );
        let w = CryptoWallet::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").unwrap();
        assert_eq!(
            w.display_form(),
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        );
    }

    #[test]
    fn bitcoin_addresses() {
        check(
            "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
            Ok(("1BoatSLRHtKNngkdXEeobR76b53LETtpyT", Chain::Bitcoin)),
        );
        check("1BoatSLRHtKNngkdXEeobR76b53LETtpyX", Err("checksum"));
        // BIP-173 valid P2WPKH example.
        check(
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            Ok(("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Chain::Bitcoin)),
        );
        check("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", Err("bech32"));
        check("bc1qw508d6qejxtdg4y5r3zarVary0c5xw7kv8f3t4", Err("mix"));
    }

    #[test]
    fn tron_addresses() {
        // A USDT (TRC-20) address listed by OFAC on Cheil Credit Bank (SDN 22985).
        check(
            "TA3941uFAvmVibSkQ6fMJXxmaSNovX86mz",
            Ok(("TA3941uFAvmVibSkQ6fMJXxmaSNovX86mz", Chain::Tron)),
        );
        check("TA3941uFAvmVibSkQ6fMJXxmaSNovX86my", Err("checksum"));
    }

    #[test]
    fn other_chains_need_a_hint() {
        check(
            "4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge",
            Err("not a recognised"),
        );
        let xmr = CryptoWallet::parse_with_hint(
            "4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge",
            Some("xmr"),
        )
        .unwrap();
        assert_eq!(xmr.chain, Chain::Other("XMR".into()));
        check("", Err("must not be empty"));
        check("0x12 34", Err("white space"));
    }
}
