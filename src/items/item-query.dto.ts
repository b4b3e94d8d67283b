import { IsOptional, IsString, MaxLength } from 'class-validator';

export class ItemQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}
