//! protojson-style JSON of the messages: lowerCamelCase names, enums by proto name, default values omitted.
