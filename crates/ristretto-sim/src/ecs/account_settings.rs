//! Account settings: PutAccountSetting, PutAccountSettingDefault, DeleteAccountSetting and
//! ListAccountSettings. They decide account-wide defaults that other operations read: a new
//! cluster's `containerInsights` setting comes from here (API_CreateCluster, `settings`).
//!
//! The simulator has no identities: a request without `principalArn` acts for the account's
//! root user, whose settings are the account's defaults (API_PutAccountSetting: "If you change
//! the root user account setting, the default settings are reset for users and roles that do
//! not have specified individual account settings").

use std::collections::BTreeMap;

use aws_sdk_ecs::operation::delete_account_setting::{
    DeleteAccountSettingInput, DeleteAccountSettingOutput,
};
use aws_sdk_ecs::operation::list_account_settings::{
    ListAccountSettingsInput, ListAccountSettingsOutput,
};
use aws_sdk_ecs::operation::put_account_setting::{
    PutAccountSettingInput, PutAccountSettingOutput,
};
use aws_sdk_ecs::operation::put_account_setting_default::{
    PutAccountSettingDefaultInput, PutAccountSettingDefaultOutput,
};
use aws_sdk_ecs::types::{Setting, SettingName, SettingType};

use super::{EcsState, paginate};
use crate::codec::{decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};

/// Every setting and the value it has in an account where nobody changed it.
///
/// Sources: API_PutAccountSetting (the names; `defaultLogDriverMode` "changed the default ...
/// from blocking to non-blocking" on June 25, 2025; `fargateTaskRetirementWaitPeriod` waits 7
/// days unless set), the developer guide "Amazon ECS account settings" (the long ARN formats
/// are on for every account; `tagResourceAuthorization` is on; `containerInsights`,
/// `awsvpcTrunking`, `fargateFIPSMode`, `fargateEventWindows` are off until turned on;
/// `guardDutyActivate` is managed by GuardDuty, off without it).
pub const DEFAULTS: [(&str, &str); 11] = [
    ("awsvpcTrunking", "disabled"),
    ("containerInsights", "disabled"),
    ("containerInstanceLongArnFormat", "enabled"),
    ("defaultLogDriverMode", "non-blocking"),
    ("fargateEventWindows", "disabled"),
    ("fargateFIPSMode", "disabled"),
    ("fargateTaskRetirementWaitPeriod", "7"),
    ("guardDutyActivate", "off"),
    ("serviceLongArnFormat", "enabled"),
    ("tagResourceAuthorization", "on"),
    ("taskLongArnFormat", "enabled"),
];

/// The root user of the account: the principal of a request that names none.
fn root(ctx: &Ctx) -> String {
    format!("arn:aws:iam::{}:root", ctx.account)
}

/// The value of setting `name` for `principal`: its own, else the root user's (the account
/// default), else AWS's default.
pub fn effective(ecs: &EcsState, ctx: &Ctx, principal: &str, name: &str) -> Option<String> {
    let own = |p: &str| {
        ecs.account_settings
            .get(p)
            .and_then(|s| s.get(name))
            .cloned()
    };
    own(principal).or_else(|| own(&root(ctx))).or_else(|| {
        DEFAULTS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    })
}

/// Checks a setting's name and value against the values API_PutAccountSetting lists.
fn check(name: Option<&SettingName>, value: Option<&str>) -> Result<(String, String), ApiError> {
    let name = match name {
        Some(n) if DEFAULTS.iter().any(|(d, _)| *d == n.as_str()) => n.as_str().to_owned(),
        // The wording of AWS's messages below is not documented.
        _ => {
            return Err(ApiError::invalid_parameter(
                "The account setting name is not valid.",
            ));
        }
    };
    let value = value.unwrap_or_default().to_owned();
    let allowed: &[&str] = match name.as_str() {
        "fargateTaskRetirementWaitPeriod" => &["0", "7", "14"],
        "defaultLogDriverMode" => &["blocking", "non-blocking"],
        "containerInsights" => &["enabled", "disabled", "enhanced"],
        "tagResourceAuthorization" => &["on", "off"],
        // "The guardDutyActivate parameter is read-only in Amazon ECS".
        "guardDutyActivate" => &[],
        _ => &["enabled", "disabled"],
    };
    if !allowed.contains(&value.as_str()) {
        return Err(ApiError::invalid_parameter(format!(
            "The value '{value}' is not valid for the account setting {name}."
        )));
    }
    Ok((name, value))
}

fn setting(name: &str, value: &str, principal: &str) -> Setting {
    Setting::builder()
        .name(SettingName::from(name))
        .value(value)
        .principal_arn(principal)
        .r#type(if name == "guardDutyActivate" {
            SettingType::AwsManaged
        } else {
            SettingType::User
        })
        .build()
}

pub fn put(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, PutAccountSettingInput::deserialize)?;
    let (name, value) = check(input.name(), input.value())?;
    let principal = input
        .principal_arn()
        .map_or_else(|| root(ctx), str::to_owned);
    store(&mut state.ecs, &principal, &name, &value);
    Ok(encode(
        &PutAccountSettingOutput::builder()
            .setting(setting(&name, &value, &principal))
            .build(),
    ))
}

pub fn put_default(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, PutAccountSettingDefaultInput::deserialize)?;
    let (name, value) = check(input.name(), input.value())?;
    let principal = root(ctx);
    store(&mut state.ecs, &principal, &name, &value);
    Ok(encode(
        &PutAccountSettingDefaultOutput::builder()
            .setting(setting(&name, &value, &principal))
            .build(),
    ))
}

fn store(ecs: &mut EcsState, principal: &str, name: &str, value: &str) {
    ecs.account_settings
        .entry(principal.to_owned())
        .or_default()
        .insert(name.to_owned(), value.to_owned());
}

pub fn delete(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, DeleteAccountSettingInput::deserialize)?;
    let name = input
        .name()
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default();
    let principal = input
        .principal_arn()
        .map_or_else(|| root(ctx), str::to_owned);
    let removed = state
        .ecs
        .account_settings
        .get_mut(&principal)
        .and_then(|s| s.remove(&name));
    // API_DeleteAccountSetting returns "The account setting for the specified principal ARN";
    // after deletion that is the value now in effect (an assumption: not documented).
    let value = match removed {
        Some(_) => effective(&state.ecs, ctx, &principal, &name),
        None => {
            return Err(ApiError::invalid_parameter(
                "The account setting is not set for the principal.",
            ));
        }
    };
    Ok(encode(
        &DeleteAccountSettingOutput::builder()
            .setting(setting(&name, &value.unwrap_or_default(), &principal))
            .build(),
    ))
}

pub fn list(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, ListAccountSettingsInput::deserialize)?;
    // API_ListAccountSettings, `value`: "You must also specify an account setting name to use
    // this parameter"; `maxResults`: 1..10.
    if input.value().is_some() && input.name().is_none() {
        return Err(ApiError::invalid_parameter(
            "A setting name must be specified to filter by value.",
        ));
    }
    if input.max_results().is_some_and(|m| !(1..=10).contains(&m)) {
        return Err(ApiError::invalid_parameter(
            "maxResults must be between 1 and 10.",
        ));
    }
    let principal = input
        .principal_arn()
        .map_or_else(|| root(ctx), str::to_owned);
    let wanted = |n: &str| input.name().is_none_or(|w| w.as_str() == n);
    let mut settings: BTreeMap<String, String> = BTreeMap::new();
    if input.effective_settings() == Some(true) {
        // "If true, the account settings for the root user or the default setting for the
        // principalArn are returned."
        for (name, _) in DEFAULTS.iter().filter(|(n, _)| wanted(n)) {
            if let Some(v) = effective(&state.ecs, ctx, &principal, name) {
                settings.insert((*name).to_owned(), v);
            }
        }
    } else if let Some(own) = state.ecs.account_settings.get(&principal) {
        // "If false, the account settings for the principalArn are returned if they're set."
        for (name, v) in own.iter().filter(|(n, _)| wanted(n)) {
            settings.insert(name.clone(), v.clone());
        }
    }
    let all: Vec<Setting> = settings
        .iter()
        .filter(|(_, v)| input.value().is_none_or(|w| w == v.as_str()))
        .map(|(n, v)| setting(n, v, &principal))
        .collect();
    let (page, next) = paginate(&all, input.next_token(), input.max_results(), 10)?;
    Ok(encode(
        &ListAccountSettingsOutput::builder()
            .set_settings(Some(page))
            .set_next_token(next)
            .build(),
    ))
}
