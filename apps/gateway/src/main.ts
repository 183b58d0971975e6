import { maskName } from '#gw/case'; console.log(maskName('李四'));
