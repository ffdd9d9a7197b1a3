//! Real postcodes, for generated placements and homes.

/// Real postcodes in Cambridgeshire (E10000003: Cambridge, East Cambridgeshire, Fenland,
/// Huntingdonshire, South Cambridgeshire), from the ONS postcode directory as the validator ships it.
pub const IN_AREA: &[&str] = &[
    "PE13 2HH", "PE13 2NU", "PE13 3UW", "PE13 5FN", "PE14 0AQ", "PE14 0HF", "PE15 0DH", "PE15 0WR",
    "PE15 8BY", "PE15 8UB", "PE15 9JL", "PE15 9LF", "PE15 9LW", "PE16 6FX", "PE17 2EU", "PE17 5BA",
    "PE17 6HJ", "PE18 0LG", "PE18 7SR", "PE18 7YX", "PE18 8LU", "PE18 8US", "PE18 9SZ", "PE19 2AE",
    "PE19 2DD", "PE19 2ET", "PE19 4QH", "PE19 5XP", "PE19 5YW", "PE19 6DF", "PE19 6EQ", "PE19 8PR",
    "PE26 1AZ", "PE26 1HT", "PE27 3FQ", "PE27 4NE", "PE27 4TF", "PE27 5GF", "PE28 0AP", "PE28 2XY",
    "PE28 4FN", "PE28 4LU", "PE28 9XB", "PE28 9XZ", "PE29 1AF", "PE29 1YZ", "PE29 6LE", "PE29 6UT",
    "PE29 6YT", "PE29 6ZL", "PE29 7SD", "PE7 1JN", "PE7 1TH", "PE7 2AT", "PE7 3GQ", "PE7 3SA",
    "SG19 3ER", "SG8 6LG", "SG8 6QQ", "SG8 7NB", "SG8 7PD", "SG8 7RJ", "CB1 1WW", "CB1 2DF",
    "CB1 3DF", "CB1 4DS", "CB1 6DG", "CB1 6LN", "CB1 7AP", "CB1 7UP", "CB1 9HN", "CB2 0SJ",
    "CB2 2SF", "CB21 4NQ", "CB21 4XE", "CB21 5LQ", "CB22 3LA", "CB22 4QP", "CB22 4WA", "CB22 4XN",
    "CB22 4ZP", "CB22 5XA", "CB23 3GR", "CB23 6AS", "CB23 7QB", "CB23 8AR", "CB24 6DG", "CB24 8QL",
    "CB24 8RZ", "CB25 0DH", "CB25 0XZ", "CB25 9WL", "CB3 0ED", "CB3 0LW", "CB3 6EE", "CB3 6GJ",
    "CB3 7TW", "CB3 7ZD", "CB3 8AH", "CB3 8GR", "CB4 2FL", "CB4 3XA", "CB4 4LR", "CB4 8TU",
    "CB4 9YR", "CB5 9PY", "CB5 9QQ", "CB6 1BQ", "CB6 1DT", "CB6 1PQ", "CB6 1WB", "CB6 2GS",
    "CB7 5RE", "CB7 5ZP", "CB7 9BR", "CB7 9DA", "CB7 9FQ", "CB8 7QE", "CB8 8BW", "CB8 9DF",
];

/// Real postcodes in the neighbouring authorities (Peterborough, Bedford, Essex, Hertfordshire,
/// Norfolk, Suffolk): placements made outside the authority.
pub const NEARBY: &[&str] = &[
    "PE30 3AS", "PE32 1GF", "PE33 9AD", "PE37 8DX", "PE37 8FT", "PE38 9PS", "IG8 1WJ", "IP1 4JP",
    "IP11 2DQ", "IP14 4JY", "IP17 3NW", "IP2 0LD", "IP23 8AP", "IP26 4NH", "IP31 2SR", "IP6 8XG",
    "IP7 5WB", "NR13 5LB", "NR16 2WP", "NR29 5HN", "NR31 7LP", "NR31 9NH", "NR33 7HS", "NR33 7SJ",
    "NR4 6NB", "NR7 0DH", "NR7 7LG", "SG1 1AW", "SG1 3HF", "SG1 6GT", "SG5 1BH", "SG7 5QA",
    "SS5 5AX", "CB11 3BZ", "CM1 5FH", "CM14 4HB", "CM7 7EJ", "CO7 9GT", "MK41 7QA", "MK41 8ZX",
];
