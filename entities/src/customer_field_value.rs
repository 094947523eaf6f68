//! A customer's value for a custom field, stored in its canonical text form
//! (numbers as decimals, dates as YYYY-MM-DD, choices as the defined choice).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_field_values")]
pub struct Model {
    pub account_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub field_id: Uuid,
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::custom_field::Entity",
        from = "Column::FieldId",
        to = "super::custom_field::Column::Id",
        on_delete = "Cascade"
    )]
    Field,
}

impl Related<super::custom_field::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Field.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
