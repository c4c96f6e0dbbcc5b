"use strict";
// The Alloy double parses with the product's Alloy parser (contracts/alloy/syntax.ts), so the
// policy, L4 and the double read a config the same way. In the repository this file loads the
// TypeScript source (the tests run it through ts-jest); the image build compiles that source to
// JavaScript and puts it in place of this file.
module.exports = require("../../../../contracts/alloy/syntax");
