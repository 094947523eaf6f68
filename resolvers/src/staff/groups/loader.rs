use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use roster_entities::{group, group_member, user};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationDef,
};

use crate::kernel::loaders::{per_account, Key};

fn member_to_user() -> RelationDef {
    group_member::Entity::belongs_to(user::Entity)
        .from(group_member::Column::UserId)
        .to(user::Column::Id)
        .into()
}

fn member_to_group() -> RelationDef {
    group_member::Entity::belongs_to(group::Entity)
        .from(group_member::Column::GroupId)
        .to(group::Column::Id)
        .into()
}

/// Each group's members, by email.
pub struct GroupMembersLoader {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Loader<Key> for GroupMembersLoader {
    type Value = Vec<user::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Self::Value>, Self::Error> {
        let rows: Vec<(user::Model, Option<group_member::Model>)> =
            per_account(keys, |tenant, groups| {
                tenant
                    .find::<user::Entity>()
                    .join(JoinType::InnerJoin, member_to_user().rev())
                    .filter(group_member::Column::GroupId.is_in(groups))
                    .select_also(group_member::Entity)
                    .order_by_asc(user::Column::EmailKey)
                    .all(&self.db)
            })
            .await?;
        let mut out: HashMap<Key, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (user, link) in rows {
            if let Some(list) = link.and_then(|l| out.get_mut(&(l.account_id, l.group_id))) {
                list.push(user);
            }
        }
        Ok(out)
    }
}

/// Each user's groups, by name.
pub struct UserGroupsLoader {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Loader<Key> for UserGroupsLoader {
    type Value = Vec<group::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Self::Value>, Self::Error> {
        let rows: Vec<(group::Model, Option<group_member::Model>)> =
            per_account(keys, |tenant, users| {
                tenant
                    .find::<group::Entity>()
                    .join(JoinType::InnerJoin, member_to_group().rev())
                    .filter(group_member::Column::UserId.is_in(users))
                    .select_also(group_member::Entity)
                    .order_by_asc(group::Column::NameKey)
                    .all(&self.db)
            })
            .await?;
        let mut out: HashMap<Key, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (group, link) in rows {
            if let Some(list) = link.and_then(|l| out.get_mut(&(l.account_id, l.user_id))) {
                list.push(group);
            }
        }
        Ok(out)
    }
}

crate::from_db!(UserGroupsLoader);

crate::from_db!(GroupMembersLoader);
