//! Assignment rules: which support group a new ticket goes to, from its
//! category, service, entity, channel and type. Rules are tried in order of
//! position; the first whose every condition holds wins; a condition left
//! empty matches anything.

use super::{Channel, TicketType};
use crate::ids::{CategoryId, GroupId};
use crate::tenancy::EntityPath;

/// One rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingRule {
    /// Its id.
    pub id: i64,
    /// Rules are tried by increasing position.
    pub position: i64,
    /// Only tickets of this category.
    pub category: Option<CategoryId>,
    /// Only tickets about this service (same reference, case-insensitive).
    pub service_ref: Option<String>,
    /// Only tickets of this entity's subtree.
    pub entity: Option<EntityPath>,
    /// Only tickets that came this way.
    pub channel: Option<Channel>,
    /// Only incidents, or only requests.
    pub ticket_type: Option<TicketType>,
    /// Where matching tickets go.
    pub group: GroupId,
}

/// What a new ticket offers to the rules.
#[derive(Clone, Copy, Debug)]
pub struct TicketFacts<'a> {
    /// Its category.
    pub category: Option<CategoryId>,
    /// Its service reference.
    pub service_ref: Option<&'a str>,
    /// Its entity's path.
    pub entity: &'a EntityPath,
    /// Its channel.
    pub channel: Channel,
    /// Its type.
    pub ticket_type: TicketType,
}

impl RoutingRule {
    /// Whether every condition of the rule holds for the ticket.
    pub fn matches(&self, t: &TicketFacts<'_>) -> bool {
        self.category.is_none_or(|c| t.category == Some(c))
            && self
                .service_ref
                .as_deref()
                .is_none_or(|s| t.service_ref.is_some_and(|r| r.eq_ignore_ascii_case(s)))
            && self.entity.as_ref().is_none_or(|e| t.entity.is_within(e))
            && self.channel.is_none_or(|c| t.channel == c)
            && self.ticket_type.is_none_or(|k| t.ticket_type == k)
    }
}

/// The first rule, by position, that matches the ticket.
pub fn route<'r>(rules: &'r [RoutingRule], ticket: &TicketFacts<'_>) -> Option<&'r RoutingRule> {
    rules
        .iter()
        .filter(|r| r.matches(ticket))
        .min_by_key(|r| (r.position, r.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, position: i64, group: i64) -> RoutingRule {
        RoutingRule {
            id,
            position,
            category: None,
            service_ref: None,
            entity: None,
            channel: None,
            ticket_type: None,
            group: GroupId(group),
        }
    }

    #[test]
    fn the_first_matching_rule_by_position_wins() {
        let nord = EntityPath::parse("/1/2/").expect("path");
        let lille = EntityPath::parse("/1/2/5/").expect("path");
        let sud = EntityPath::parse("/1/3/").expect("path");
        let rules = vec![
            RoutingRule {
                category: Some(CategoryId(7)),
                ..rule(1, 10, 100)
            },
            RoutingRule {
                entity: Some(nord.clone()),
                ..rule(2, 20, 200)
            },
            RoutingRule {
                channel: Some(Channel::Event),
                ticket_type: Some(TicketType::Incident),
                ..rule(3, 5, 300)
            },
            RoutingRule {
                service_ref: Some("ERP".into()),
                ..rule(4, 30, 400)
            },
            rule(5, 99, 999),
        ];
        let facts = |category, service, entity, channel, ticket_type| TicketFacts {
            category,
            service_ref: service,
            entity,
            channel,
            ticket_type,
        };
        let check = |f: TicketFacts<'_>, group: i64| {
            assert_eq!(
                route(&rules, &f).map(|r| r.group),
                Some(GroupId(group)),
                "{f:?}"
            );
        };
        check(
            facts(
                Some(CategoryId(7)),
                None,
                &sud,
                Channel::Phone,
                TicketType::Incident,
            ),
            100,
        );
        check(
            facts(None, None, &lille, Channel::Phone, TicketType::Request),
            200,
        );
        check(
            facts(
                Some(CategoryId(7)),
                None,
                &lille,
                Channel::Event,
                TicketType::Incident,
            ),
            300,
        );
        check(
            facts(
                None,
                Some("erp"),
                &sud,
                Channel::Portal,
                TicketType::Request,
            ),
            400,
        );
        check(
            facts(None, None, &sud, Channel::Event, TicketType::Request),
            999,
        );
        assert_eq!(
            route(
                &rules[..4],
                &facts(None, None, &sud, Channel::Api, TicketType::Request)
            ),
            None
        );
    }
}
